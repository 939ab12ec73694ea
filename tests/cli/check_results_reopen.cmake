# Documents drawn from results: runs a copy of the bundled sample under another project name,
# moves its input files away, then draws the report, map and viewer with --results from the
# output folder (and from its spaceuse.gpkg) and requires each to be byte-identical to the
# document the run wrote. The same for the follow-up report of the sample's two surveys: a run
# whose [report] has `since` against `report --results ... --since ...` without the inputs.
#   cmake -DSU=spaceuse -DDATA=<source>/data -DWORK=<folder> -P check_results_reopen.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/study" "${WORK}/away")
file(GLOB inputs "${DATA}/*.gpkg" "${DATA}/*.geojson")
file(COPY ${inputs} DESTINATION "${WORK}/study")
file(COPY "${DATA}/scenarios" DESTINATION "${WORK}/study")
file(COPY_FILE "${DATA}/heverlee.toml" "${WORK}/study/committee.toml")
file(COPY_FILE "${DATA}/heverlee_2021.toml" "${WORK}/study/committee_2021.toml")
file(READ "${DATA}/heverlee.toml" project)
string(REPLACE "[report]\n" "[report]\nsince = \"../out2021\"\nissue_date_field = \"issue_date\"\n"
       project "${project}")
file(WRITE "${WORK}/study/committee_followup.toml" "${project}")

function(run)
    execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
endfunction()

run(${SU} --quiet run study/committee.toml -o out)
run(${SU} --quiet run study/committee_2021.toml -o out2021)
run(${SU} --quiet run study/committee_followup.toml -o out-followup)
file(GLOB copied "${WORK}/study/*.gpkg" "${WORK}/study/*.geojson")
foreach(f IN LISTS copied)
    get_filename_component(name "${f}" NAME)
    file(RENAME "${f}" "${WORK}/away/${name}")
endforeach()

run(${SU} --quiet report --results out -o report.pdf)
run(${SU} --quiet map --results out/spaceuse.gpkg -o map.png)
run(${SU} --quiet view --results out -o viewer.html)
run(${SU} --quiet report --results out-followup --since out2021 --issue-date-field issue_date
    -o followup.pdf)
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${WORK}/followup.pdf"
                        "${WORK}/out-followup/report.pdf" RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
    message(FATAL_ERROR "the follow-up report drawn from the results differs from the run's")
endif()
foreach(doc report.pdf map.png viewer.html)
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${WORK}/${doc}" "${WORK}/out/${doc}"
                    RESULT_VARIABLE diff)
    if(NOT diff EQUAL 0)
        message(FATAL_ERROR "${doc} drawn from the results differs from the run's")
    endif()
endforeach()
# Without the inputs, running the project fails: the documents above came from the results.
execute_process(COMMAND ${SU} --quiet report study/committee.toml -o again.pdf
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "file not found")
    message(FATAL_ERROR "the project ran without its inputs (${rc}): ${err}")
endif()
message(STATUS "report, follow-up report, map and viewer drawn from the results are byte-identical to the run's")
