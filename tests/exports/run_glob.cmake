# Runs CMD with the files matching GLOB appended; fails when nothing matches or CMD fails.
#   cmake -DGLOB=dir/*.geojson -DCMD="prog;arg" -P run_glob.cmake
file(GLOB files "${GLOB}")
list(SORT files)
if(NOT files)
    message(FATAL_ERROR "no files match ${GLOB}")
endif()
execute_process(COMMAND ${CMD} ${files} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check failed (${rc})")
endif()
