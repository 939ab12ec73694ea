# `spaceuse diff` through the CLI: the bundled sample's results against the same data surveyed
# later (a copy of the project with survey_date 2025-06-01, given as a project file, so diff runs
# it first): every parcel unchanged, and the folder holds the changes and the manifest.
#   cmake -DSU=spaceuse -DDATA=<source>/data -DWORK=<folder> -P check_diff.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/later")
file(GLOB inputs "${DATA}/*.gpkg" "${DATA}/*.geojson")
file(COPY ${inputs} DESTINATION "${WORK}/later")
file(READ "${DATA}/heverlee.toml" project)
string(REPLACE "[project]\n" "[project]\nsurvey_date = \"2025-06-01\"\n" project "${project}")
file(WRITE "${WORK}/later/later.toml" "${project}")

function(run)
    execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
    set(out "${out}" PARENT_SCOPE)
endfunction()

run(${SU} --quiet run "${DATA}/heverlee.toml" -o sample)
run(${SU} diff sample later/later.toml -o diff)
foreach(line "surveys 2024-06-01 → 2025-06-01" "before 43 = unchanged 43"
             "after 43 = unchanged 43")
    string(FIND "${out}" "${line}" pos)
    if(pos EQUAL -1)
        message(FATAL_ERROR "diff printed no '${line}':\n${out}")
    endif()
endforeach()
foreach(f run.json parcel_changes.csv parcel_changes.geojson zone_changes.csv zone_changes.geojson)
    if(NOT EXISTS "${WORK}/diff/${f}")
        message(FATAL_ERROR "diff wrote no ${f}")
    endif()
endforeach()
