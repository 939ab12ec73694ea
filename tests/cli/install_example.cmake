# Installs the build tree into a prefix inside it, builds the README's out-of-tree example
# plugin (plugins/example) against that prefix with find_package(spaceuse) only, then lists it
# and runs it in a study with the installed spaceuse.
#   -DBUILD_DIR= -DSOURCE_DIR= -DWORK=
set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
    set(out "${out}" PARENT_SCOPE)
endfunction()

# The README shows the example's sources verbatim.
file(READ ${SOURCE_DIR}/README.md readme)
foreach(f compactness.cpp CMakeLists.txt)
    file(READ ${SOURCE_DIR}/plugins/example/${f} text)
    string(FIND "${readme}" "${text}" pos)
    if(pos EQUAL -1)
        message(FATAL_ERROR "README.md does not show plugins/example/${f} as it is")
    endif()
endforeach()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/spaceuse include/spaceuse/plugin.hpp lib/cmake/spaceuse/spaceuseConfig.cmake
        share/qgis/python/plugins/spaceuse_processing/metadata.txt
        share/qgis/python/plugins/spaceuse_processing/algorithm.py)
    if(NOT EXISTS ${prefix}/${f})
        message(FATAL_ERROR "not installed: ${f}")
    endif()
endforeach()

# The installed QGIS plugin finds the spaceuse installed beside it (no SPACEUSE_EXECUTABLE, no
# spaceuse on PATH), and the plugin manager's zip holds the same files.
file(WRITE ${WORK}/find_spaceuse.py "import sys\nsys.path.insert(0, sys.argv[1])\n"
     "from spaceuse_processing import spaceuse_cli\nprint(spaceuse_cli.find_executable())\n")
run(${CMAKE_COMMAND} -E env --unset=SPACEUSE_EXECUTABLE PATH=/usr/bin:/bin
    /usr/bin/python3 -B ${WORK}/find_spaceuse.py ${prefix}/share/qgis/python/plugins)
string(STRIP "${out}" found)
file(REAL_PATH ${prefix}/bin/spaceuse expected_exe)
file(REAL_PATH "${found}" found_exe)
if(NOT found_exe STREQUAL expected_exe)
    message(FATAL_ERROR "the installed QGIS plugin found '${found}', not ${prefix}/bin/spaceuse")
endif()
file(ARCHIVE_EXTRACT INPUT ${BUILD_DIR}/spaceuse_processing.zip DESTINATION ${WORK}/zip)
foreach(f __init__.py metadata.txt provider.py algorithm.py spaceuse_cli.py plugin.py icon.svg)
    file(READ ${WORK}/zip/spaceuse_processing/${f} zipped)
    file(READ ${SOURCE_DIR}/qgis/spaceuse_processing/${f} source)
    if(NOT zipped STREQUAL source)
        message(FATAL_ERROR "spaceuse_processing.zip: ${f} differs from the source")
    endif()
endforeach()

# Only the installed package: a copy of the example outside the source tree.
file(COPY ${SOURCE_DIR}/plugins/example/ DESTINATION ${WORK}/src)
run(${CMAKE_COMMAND} -S ${WORK}/src -B ${WORK}/build -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK}/build)
set(plugin ${WORK}/build/spaceuse_metric_compactness.so)

run(${prefix}/bin/spaceuse metrics --plugin ${plugin})
if(NOT out MATCHES "compactness +${plugin}")
    message(FATAL_ERROR "spaceuse metrics does not list the plugin:\n${out}")
endif()
message(STATUS "spaceuse metrics --plugin ...:\n${out}")

set(fix ${SOURCE_DIR}/tests/fixtures/occupancy)
file(WRITE ${WORK}/project.toml "[project]
output = \"${WORK}/out\"
plugins = [\"build/spaceuse_metric_compactness.so\"]   # relative to this file
[layers.zones]
source = \"${fix}/zones.geojson\"
id_field = \"zid\"
[layers.parcels]
source = \"${fix}/parcels.geojson\"
id_field = \"pid\"
[metrics.compactness]
sliver_below = 0.5
")
run(${prefix}/bin/spaceuse --quiet run ${WORK}/project.toml)
file(READ ${WORK}/out/compactness_parcels.csv csv)
message(STATUS "compactness_parcels.csv:\n${csv}")
# A is a 50 m square: 4*pi*2500/200^2 = pi/4 = 0.785; F is 100 x 20: 4*pi*2000/240^2 = 0.436.
if(NOT csv MATCHES "\nA,0\\.79,0\n" OR NOT csv MATCHES "\nF,0\\.44,1\n")
    message(FATAL_ERROR "unexpected compactness values:\n${csv}")
endif()
if(NOT EXISTS ${WORK}/out/compactness_parcels.geojson)
    message(FATAL_ERROR "no compactness_parcels.geojson")
endif()
