# `spaceuse diff` through the CLI, on a copy of the bundled sample:
# - the sample against the same data surveyed later (a copy of the project with survey_date
#   2025-06-01, given as a project file, so diff runs it first): every parcel unchanged;
# - the sample's earlier survey (data/heverlee_2021.toml) against the sample, with take-up from
#   the parcels' issue dates: the headline figures of data/README.md;
# - the earlier survey recomputed with other definitions (--recompute), and refused once one of
#   its inputs changed.
#   cmake -DSU=spaceuse -DDATA=<source>/data -DWORK=<folder> -P check_diff.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/later" "${WORK}/data")
file(GLOB inputs "${DATA}/*.gpkg" "${DATA}/*.geojson" "${DATA}/*.toml")
file(COPY ${inputs} DESTINATION "${WORK}/data")
file(COPY "${DATA}/profiles" "${DATA}/scenarios" DESTINATION "${WORK}/data")
file(GLOB inputs "${DATA}/*.gpkg" "${DATA}/*.geojson")
file(COPY ${inputs} DESTINATION "${WORK}/later")
file(COPY "${DATA}/scenarios" DESTINATION "${WORK}/later")
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

function(expect_lines)
    foreach(line ${ARGN})
        string(FIND "${out}" "${line}" pos)
        if(pos EQUAL -1)
            message(FATAL_ERROR "diff printed no '${line}':\n${out}")
        endif()
    endforeach()
endfunction()

run(${SU} --quiet run "${DATA}/heverlee.toml" -o sample)
run(${SU} diff sample later/later.toml -o diff)
expect_lines("surveys 2024-06-01 → 2025-06-01" "before 43 = unchanged 43"
             "after 43 = unchanged 43" "zones: before 3 = unchanged 3; after 3 = unchanged 3")
foreach(f run.json parcel_changes.csv parcel_changes.geojson zone_changes.csv zone_changes.geojson
          transitions.csv stock.csv takeup.csv achieved.csv)
    if(NOT EXISTS "${WORK}/diff/${f}")
        message(FATAL_ERROR "diff wrote no ${f}")
    endif()
endforeach()

# The sample's two surveys (data/README.md, "Earlier survey").
run(${SU} --quiet run data/heverlee_2021.toml -o s2021)
run(${SU} diff s2021 sample -o follow-up --issue-date-field issue_date)
expect_lines(
    "surveys 2021-06-01 → 2024-06-01"
    "before 43 = unchanged 37 + reshaped 1 + renumbered 1 + split 1 + merged 2 + retired 1"
    "after 43 = unchanged 37 + reshaped 1 + renumbered 1 + split 2 + merged 1 + new 1"
    "take-up from issue dates: 30 parcels dated, 13 undated, 0 left out by the filter"
    "stock (vacant), all zones: 53851 − 22216 taken up + 6277 released + 400 added − 1177 removed = 37135 m² (residual 0.00); years of supply 8.4"
    "stock (vacant+underused), all zones: 95927 − 14550 taken up + 0 released + 400 added − 1177 removed = 80600 m² (residual 0.00); years of supply 18.1")
# Columns: the after zone table's counts (18 occupied, 9 underused, 13 vacant) and 2 retired.
file(STRINGS "${WORK}/follow-up/transitions.csv" rows REGEX "^ALL,All zones,parcels,")
list(GET rows -1 total)
if(NOT total STREQUAL "ALL,All zones,parcels,total,18,9,13,2,42")
    message(FATAL_ERROR "transitions.csv, all zones, parcel column totals: ${total}")
endif()

# A trend of three surveys without issue dates: the years of supply at a date use the mean
# take-up of every interval up to it. 2024: 22,216.29 m² over 1,096 days (3.0008 years) =
# 7,403.59 m²/year, 37,134.93 m² vacant = 5.0 years; 2025 (the same data a year later, nothing
# taken up): 22,216.29 m² over 1,461 days = 5,553.96 m²/year, 6.7 years; vacant or underused
# 80,599.73 m² at 14,549.75 m² over 4.0001 years = 22.2 years.
run(${SU} --quiet run later/later.toml -o s2025)
run(${SU} trend sample s2025 s2021 -o trend3)
expect_lines("surveys 2021-06-01, 2024-06-01, 2025-06-01"
             "2024-06-01 → 2025-06-01: before 43 = unchanged 43; after 43 = unchanged 43")
file(STRINGS "${WORK}/trend3/trend.csv" rows REGEX "^ALL,")
set(expected
    "ALL,All zones,2021-06-01,117435.28,17283.22,53851.29,42075.59,82838.89,40,13,10,17,,,,,,"
    "ALL,All zones,2024-06-01,116657.88,22267.65,37134.93,43464.80,73213.69,40,18,9,13,22216.29,6277.32,7403.59,diff 2021-06-01/2024-06-01,5.0,16.6"
    "ALL,All zones,2025-06-01,116657.88,22267.65,37134.93,43464.80,73213.69,40,18,9,13,0.00,0.00,5553.96,diff 2021-06-01/2025-06-01,6.7,22.2")
if(NOT rows STREQUAL expected)
    message(FATAL_ERROR "trend of three surveys, all zones:\n${rows}")
endif()

# Other definitions: refused, then recomputed from the earlier survey's recorded inputs.
file(READ "${WORK}/data/heverlee.toml" project)
string(REPLACE "profile = \"default\"" "profile = \"default\"\nvacant_below = 0.02\nunderused_below = 0.20\nsetback_m = 3.0\nmin_free_area_m2 = 1000.0\nmin_free_width_m = 20.0\nstorey_height_m = 4.0" project "${project}")
string(REGEX REPLACE "\n\\[(report|view|map)\\]\n[^\n]*\n(paper[^\n]*\n)?" "\n" project "${project}")
file(WRITE "${WORK}/data/vlaio.toml" "${project}")
execute_process(COMMAND ${SU} diff s2021 data/vlaio.toml -o refused WORKING_DIRECTORY "${WORK}"
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(rc EQUAL 0 OR NOT err MATCHES "use different definitions")
    message(FATAL_ERROR "other definitions were not refused (${rc}): ${err}")
endif()
run(${SU} diff s2021 data/vlaio.toml -o recomputed --recompute)
expect_lines("before 43 = unchanged 37 + reshaped 1 + renumbered 1 + split 1 + merged 2 + retired 1")
file(READ "${WORK}/recomputed/run.json" manifest)
string(JSON recomputed GET "${manifest}" recomputed)
string(JSON hb GET "${manifest}" before metric_definitions_hash)
string(JSON ha GET "${manifest}" after metric_definitions_hash)
if(NOT recomputed OR NOT hb STREQUAL ha OR NOT EXISTS "${WORK}/recomputed/before/spaceuse.gpkg")
    message(FATAL_ERROR "--recompute: recomputed ${recomputed}, hashes ${hb} / ${ha}")
endif()
# The same for a trend: surveys of other definitions are refused, naming the odd one, and
# recomputed with the project's definitions.
execute_process(COMMAND ${SU} trend s2021 spaceuse-out/heverlee -o trend-refused
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(rc EQUAL 0 OR NOT err MATCHES "the survey 2021-06-01 .* uses other definitions than the newest")
    message(FATAL_ERROR "a trend of other definitions was not refused (${rc}): ${err}")
endif()
run(${SU} trend s2021 data/vlaio.toml -o trend-recomputed --recompute)
expect_lines("surveys 2021-06-01, 2024-06-01")
file(READ "${WORK}/trend-recomputed/run.json" manifest)
string(JSON recomputed GET "${manifest}" recomputed)
string(JSON h0 GET "${manifest}" surveys 0 metric_definitions_hash)
string(JSON h1 GET "${manifest}" surveys 1 metric_definitions_hash)
if(NOT recomputed OR NOT h0 STREQUAL h1 OR NOT EXISTS "${WORK}/trend-recomputed/recomputed/1/spaceuse.gpkg")
    message(FATAL_ERROR "trend --recompute: recomputed ${recomputed}, hashes ${h0} / ${h1}")
endif()
# An input of the earlier survey changed since it was run: refused, naming it.
file(APPEND "${WORK}/data/heverlee_constraints.geojson" "\n")
execute_process(COMMAND ${SU} diff s2021 data/vlaio.toml -o recomputed2 --recompute
                WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(rc EQUAL 0 OR NOT err MATCHES "heverlee_constraints.geojson: before input 'constraints' changed since that survey was run")
    message(FATAL_ERROR "a changed input was not refused (${rc}): ${err}")
endif()
