# Runs CMD (spaceuse view ... -o HTML), opens the page in headless Chromium (with the URL
# fragment HASH, e.g. "#colour=vlaio", when given) and checks the feature counts the page writes
# into #spaceuse-status once its layers are loaded.
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "exit code ${rc}\nstdout: ${out}\nstderr: ${err}")
endif()
file(READ ${HTML} html)
foreach(forbidden "<script src" "<link " "url(http" "@import")
    string(FIND "${html}" "${forbidden}" pos)
    if(NOT pos EQUAL -1)
        message(FATAL_ERROR "the viewer refers to an outside resource ('${forbidden}')")
    endif()
endforeach()
set(profile ${CMAKE_CURRENT_BINARY_DIR}/chromium-profile-${NAME})
file(REMOVE_RECURSE ${profile})
execute_process(COMMAND ${CHROMIUM} --headless --no-sandbox --disable-gpu
                        --disable-background-networking --disable-component-update --no-first-run
                        --user-data-dir=${profile} --dump-dom file://${HTML}${HASH}
                RESULT_VARIABLE rc OUTPUT_VARIABLE dom ERROR_VARIABLE cerr TIMEOUT 120)
file(REMOVE_RECURSE ${profile})
string(REGEX MATCH "<div id=\"spaceuse-status\"[^>]*data-loaded=\"yes\"[^>]*>([^<]*)</div>" m "${dom}")
if(NOT m)
    message(FATAL_ERROR "the page did not report its layers (rc ${rc}):\n${cerr}")
endif()
set(counts "${CMAKE_MATCH_1}")
foreach(e IN LISTS EXPECT)
    string(FIND "${counts}" "${e}" pos)
    if(pos EQUAL -1)
        message(FATAL_ERROR "layer counts lack '${e}': ${counts}")
    endif()
endforeach()
message(STATUS "layers: ${counts}")
