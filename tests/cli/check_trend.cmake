# `spaceuse trend` on the sample's two surveys (given newest first: any order is accepted), with
# take-up from the parcels' issue dates. The figures, checked by hand against the surveys'
# summary.csv and the follow-up's stock.csv (data/README.md, "Earlier survey"):
# - each date: the zone table's net, built, vacant, underused, usable free area and counts;
# - 2024-06-01, all zones: 22,216.29 m² of vacant land taken up (Z1 16,912.33 + Z2 3,371.83 +
#   Z3 1,932.13) and 6,277.32 m² released; land issued in the last 5 years (2019-06-01 to
#   2024-06-01) 22,216.29 m², 4,443.26 m² a year; 37,134.93 m² vacant = 8.4 years, and
#   37,134.93 + 43,464.80 = 80,599.73 m² vacant or underused = 18.1 years.
#   cmake -DSU=spaceuse -DSURVEYS=<folder with sample/ and s2021/> -DWORK=<folder> -P check_trend.cmake
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND ${SU} trend ${SURVEYS}/sample ${SURVEYS}/s2021 -o ${WORK}
                        --issue-date-field issue_date
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "trend failed (${rc}):\n${out}\n${err}")
endif()
foreach(line "surveys 2021-06-01, 2024-06-01"
             "2024-06-01         37135         43465        73214        22216         4443      8.4")
    string(FIND "${out}" "${line}" pos)
    if(pos EQUAL -1)
        message(FATAL_ERROR "trend printed no '${line}':\n${out}")
    endif()
endforeach()
file(STRINGS "${WORK}/trend.csv" rows)
foreach(expected
        "zone_id,name,survey_date,net_m2,built_m2,vacant_m2,underused_m2,free_m2,n_parcels,n_occupied,n_underused,n_vacant,taken_up_m2,released_m2,takeup_per_year_m2,takeup_basis,years_of_supply,years_of_supply_vacant_underused"
        "Z2,De Watergroep WPC Cadol,2021-06-01,13632.11,2001.15,4054.54,4241.52,7254.92,12,6,3,3,,,,,,"
        "Z2,De Watergroep WPC Cadol,2024-06-01,13632.11,3184.91,682.71,7407.54,6738.04,12,7,4,1,3371.83,0.00,674.37,\"issue_date, last 5 years\",1.0,12.0"
        "ALL,All zones,2021-06-01,117435.28,17283.22,53851.29,42075.59,82838.89,40,13,10,17,,,,,,"
        "ALL,All zones,2024-06-01,116657.88,22267.65,37134.93,43464.80,73213.69,40,18,9,13,22216.29,6277.32,4443.26,\"issue_date, last 5 years\",8.4,18.1")
    list(FIND rows "${expected}" at)
    if(at EQUAL -1)
        string(REPLACE ";" "\n" all "${rows}")
        message(FATAL_ERROR "trend.csv lacks the row\n${expected}\n${all}")
    endif()
endforeach()
list(LENGTH rows n)
if(NOT n EQUAL 9)
    message(FATAL_ERROR "trend.csv: ${n} lines, expected a header and 2 dates × (3 zones + all)")
endif()
# Take-up per calendar year from the issue dates: Z1 in 2022 and 2024.
file(STRINGS "${WORK}/takeup.csv" takeup)
foreach(expected "Z1,Wetenschapspark Arenberg,2022-01-01,2022-12-31,1.0000,issue_date,8689.88,1"
                 "Z1,Wetenschapspark Arenberg,2024-01-01,2024-12-31,1.0000,issue_date,8222.45,1")
    list(FIND takeup "${expected}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "takeup.csv lacks the row ${expected}")
    endif()
endforeach()
foreach(zone Z1 Z2 Z3 ALL)
    foreach(ext png svg)
        if(NOT EXISTS "${WORK}/charts/${zone}.${ext}")
            message(FATAL_ERROR "trend wrote no charts/${zone}.${ext}")
        endif()
    endforeach()
endforeach()
file(READ "${WORK}/run.json" manifest)
string(JSON dates GET "${manifest}" dates)
if(NOT dates MATCHES "2021-06-01.*2024-06-01")
    message(FATAL_ERROR "run.json dates: ${dates}")
endif()
