# Runs a command, requires exit code 0 and an empty stderr (unless ALLOW_STDERR), then
# compares the file OUTPUT with the golden file GOLDEN byte for byte.
#   cmake -DCMD="a;b;c" -DOUTPUT=... -DGOLDEN=... [-DCLEAN=dir] -P run_compare.cmake
# With -DSAME_AS=dir instead of GOLDEN, OUTPUT is a folder that must hold the same files with
# the same bytes as dir (the QGIS test's qgis_render.png excepted). -DABSENT=file: that file
# must not have been written.
if(CLEAN)
    file(REMOVE_RECURSE "${CLEAN}")
endif()
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}):\n${out}\n${err}")
endif()
if(NOT ALLOW_STDERR AND NOT "${err}" STREQUAL "")
    message(FATAL_ERROR "unexpected stderr:\n${err}")
endif()
if(ABSENT AND EXISTS "${ABSENT}")
    message(FATAL_ERROR "${ABSENT} was written but should not have been")
endif()
if(GOLDEN)
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${OUTPUT}" "${GOLDEN}" RESULT_VARIABLE diff)
    if(NOT diff EQUAL 0)
        file(READ "${OUTPUT}" got)
        message(FATAL_ERROR "${OUTPUT} differs from ${GOLDEN}; got:\n${got}\n"
                            "(review, then copy it over the golden file to accept)")
    endif()
endif()
if(SAME_AS)
    file(GLOB_RECURSE ref RELATIVE "${SAME_AS}" "${SAME_AS}/*")
    file(GLOB_RECURSE got RELATIVE "${OUTPUT}" "${OUTPUT}/*")
    # The QGIS test writes its render into the reference folder.
    list(FILTER ref EXCLUDE REGEX "qgis_render\\.png$")
    list(FILTER got EXCLUDE REGEX "qgis_render\\.png$")
    list(SORT ref)
    list(SORT got)
    if(NOT ref STREQUAL got)
        message(FATAL_ERROR "${OUTPUT} holds other files than ${SAME_AS}:\n${got}\n${ref}")
    endif()
    foreach(f IN LISTS ref)
        execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${OUTPUT}/${f}" "${SAME_AS}/${f}"
                        RESULT_VARIABLE diff)
        if(NOT diff EQUAL 0)
            message(FATAL_ERROR "${OUTPUT}/${f} differs from ${SAME_AS}/${f}")
        endif()
    endforeach()
endif()
