#!/bin/sh
# leuven_osm_followup.sh - real case: `spaceuse diff` of OpenStreetMap buildings of 2016 and 2024
#
# Usage: sh tests/realcases/leuven_osm_followup.sh [SHARED_DATA_DIR] [WORK_DIR] [SPACEUSE]
#
#   SHARED_DATA_DIR  default: ../shared/data relative to the repository root; reads
#                    leuven_osm/Tervuursevest_unsorted.osm (OSM API export, September 2016)
#                    leuven_osm/GreatLeuven.osm.pbf        (OSM extract, June 2024)
#   WORK_DIR         default: /tmp/spaceuse-realcases; this script writes WORK_DIR/leuven_osm/
#   SPACEUSE         default: $SPACEUSE, else build/cli/spaceuse under the repository root
#
# What it does (see README.md next to this script):
#   1. sorts the 2016 file (osmium sort: the API export is not node-sorted, which GDAL's OSM
#      driver refuses) and clips the 2024 extract to the 2016 file's <bounds> with the same rule
#      the API used (osmium extract -s complete_ways: every way with a node in the box);
#   2. zones: the 2016 landuse=residential polygons clipped to that box (the area has no
#      landuse=industrial/commercial/retail at either date), the same zones for both dates;
#   3. parcels: SYNTHESISED once, the way data/make_sample.sh makes the sample's (a Voronoi split
#      of each zone, minus a road corridor, around the 2024 buildings), the same parcels for
#      both dates, so that the diff shows building changes only;
#   4. buildings: the real OSM footprints of each date, with their OSM id, version, timestamp
#      and the GRB tags (source:geometry:date/ref) the Flemish building import left;
#   5. runs `spaceuse run` for both surveys and `spaceuse diff`, then leuven_osm_edits.py,
#      which attributes the apparent change to OSM edits (ids, versions, GRB dates).
#
# Deterministic: fixed inputs, no randomness, features ordered by stable keys, the
# WGS84 -> Lambert 72 transformation pinned (as in data/make_sample.sh), GeoPackage timestamps
# pinned. Needs osmium-tool, gdal-bin (OSM driver, SQLite dialect with SpatiaLite), python3-gdal
# (/usr/bin/python3 with osgeo) and a POSIX sh. Inputs are only read.
# Data: © OpenStreetMap contributors, ODbL 1.0 (nothing generated is committed).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC=${1:-"$ROOT/../shared/data"}
WORK=${2:-/tmp/spaceuse-realcases}
SPACEUSE=${3:-${SPACEUSE:-"$ROOT/build/cli/spaceuse"}}
OSM2016="$SRC/leuven_osm/Tervuursevest_unsorted.osm"
PBF2024="$SRC/leuven_osm/GreatLeuven.osm.pbf"
OUT="$WORK/leuven_osm"

die() { echo "leuven_osm_followup.sh: $*" >&2; exit 1; }
for f in "$OSM2016" "$PBF2024"; do
    [ -r "$f" ] || die "cannot read $f (pass the shared data folder as first argument)"
done
for t in osmium ogr2ogr ogrinfo; do
    command -v $t >/dev/null 2>&1 || die "$t not found (scripts/setup.sh --tests installs it)"
done
[ -x "$SPACEUSE" ] || die "no spaceuse at $SPACEUSE (third argument or \$SPACEUSE)"
"$SPACEUSE" diff --help >/dev/null 2>&1 || die "$SPACEUSE has no diff command (an older build?)"
/usr/bin/python3 -c 'import osgeo' 2>/dev/null || die "/usr/bin/python3 has no osgeo (python3-gdal)"

LC_ALL=C
export LC_ALL
PROJ_NETWORK=OFF
export PROJ_NETWORK
OGR_CURRENT_DATE=2024-06-25T00:00:00.000Z
export OGR_CURRENT_DATE

# WGS84 -> EPSG:31370, pinned as in data/make_sample.sh (EPSG:15929, about 1 m).
CT='+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 +step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=-106.8686 +y=52.2978 +z=-103.7239 +rx=-0.3366 +ry=0.457 +rz=-1.8422 +s=-1.2747 +convention=coordinate_frame +step +inv +proj=cart +ellps=intl +step +proj=pop +v_3 +step +proj=lcc +lat_0=90 +lon_0=4.36748666666667 +lat_1=51.1666672333333 +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 +ellps=intl'

# ---------------------------------------------------------------------------
# Parameters (EPSG:31370 metres)

# Zones: 2016 landuse values taken as zones, and the smallest clipped piece kept.
ZONE_LANDUSE="'residential'"
ZONE_MIN_M2=1000
# Road corridor (as in make_sample.sh, narrower: old-town streets are 8-12 m between facades):
# public road classes buffered CORRIDOR_ROAD m, cycleways and long plain service roads
# CORRIDOR_MINOR m.
CORRIDOR_ROAD=5
CORRIDOR_MINOR=2.5
# Seeds: 2024 buildings of at least SEED_MIN_M2 (garden sheds, garages and carports below it
# join the parcel of the house next to them).
SEED_MIN_M2=40
# Buildings kept: those touching a zone grown by this many metres.
BLD_MARGIN=20

mkdir -p "$OUT/osm"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/spaceuse_leuven.XXXXXX")
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
W="$TMP/work.gpkg"
GPKG="$OUT/leuven.gpkg"

run() {
    if ! "$@" 2>"$TMP/err"; then
        cat "$TMP/err" >&2
        exit 1
    fi
    grep -v '^GEOS warning' "$TMP/err" >&2 || true
}

# ---------------------------------------------------------------------------
# 1. OSM: sort 2016, clip 2024 to the 2016 box; dates from the files' timestamps.
run osmium sort --overwrite "$OSM2016" -o "$OUT/osm/tervuursevest_2016.osm.pbf"
BOX=$(osmium fileinfo -g header.boxes "$OSM2016" | tr -d '()' | head -n 1)
[ -n "$BOX" ] || die "no <bounds> in $OSM2016"
run osmium extract --overwrite -s complete_ways -b "$BOX" "$PBF2024" \
    -o "$OUT/osm/greatleuven_2024_clip.osm.pbf"
LAST2016=$(osmium fileinfo -e -g data.timestamp.last "$OSM2016")
LAST2024=$(osmium fileinfo -e -g data.timestamp.last "$PBF2024")
DATE2016=$(printf '%s' "$LAST2016" | cut -c1-10)
DATE2024=$(printf '%s' "$LAST2024" | cut -c1-10)
echo "2016 file: box $BOX, newest object $LAST2016 -> survey_date $DATE2016"
echo "2024 file: newest object $LAST2024 -> survey_date $DATE2024"

cat >"$TMP/osmconf.ini" <<'EOF'
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism,highway=platform,public_transport=platform
attribute_name_laundering=yes
[points]
osm_id=yes
osm_version=yes
attributes=name,addr:housenumber,addr:street,shop,office,craft
other_tags=no
[lines]
osm_id=yes
attributes=name,highway,service
other_tags=no
[multipolygons]
osm_id=yes
osm_version=yes
osm_timestamp=yes
osm_changeset=yes
attributes=name,type,building,building:levels,height,landuse,start_date,heritage,ref:OnroerendErfgoed,source:geometry:date,source:geometry:ref
other_tags=no
ignore=area,created_by,converted_by,source,time,ele,note,todo,openGeoDB:,fixme,FIXME
[multilinestrings]
osm_id=yes
attributes=name,type
other_tags=no
[other_relations]
osm_id=yes
attributes=name,type
other_tags=no
EOF

# The box as a Lambert 72 polygon (its corners transformed with the pinned operation).
# shellcheck disable=SC2046 # split on purpose: the four numbers of the box
set -- $(printf '%s' "$BOX" | tr ',' ' ')
printf 'id,wkt\n1,"POLYGON((%s %s,%s %s,%s %s,%s %s,%s %s))"\n' "$1" "$2" "$3" "$2" "$3" "$4" "$1" "$4" "$1" "$2" \
    >"$TMP/box.csv"
run ogr2ogr -q -f GPKG "$W" "$TMP/box.csv" -oo GEOM_POSSIBLE_NAMES=wkt \
    -oo KEEP_GEOM_COLUMNS=NO -s_srs EPSG:4326 -t_srs EPSG:31370 -ct "$CT" -nln p_box -nlt POLYGON

osm_layer() { # $1 = file, $2 = source layer, $3 = target name, $4 = where
    run ogr2ogr -q -f GPKG -update -append "$W" "$1" "$2" \
        -oo CONFIG_FILE="$TMP/osmconf.ini" -oo USE_CUSTOM_INDEXING=YES -where "$4" \
        -s_srs EPSG:4326 -t_srs EPSG:31370 -ct "$CT" -nln "$3"
}
for y in 2016 2024; do
    f="$OUT/osm/tervuursevest_2016.osm.pbf"
    [ $y = 2024 ] && f="$OUT/osm/greatleuven_2024_clip.osm.pbf"
    osm_layer "$f" lines "osm_lines_$y" "highway IS NOT NULL"
    osm_layer "$f" multipolygons "osm_mp_$y" "building IS NOT NULL OR landuse IS NOT NULL"
done
# 2016 nodes that say something stood there (house number, shop, office, craft).
osm_layer "$OUT/osm/tervuursevest_2016.osm.pbf" points osm_addr_2016 \
    "addr_housenumber IS NOT NULL OR shop IS NOT NULL OR office IS NOT NULL OR craft IS NOT NULL"

stage() { # $1 = target table, $2 = SQL (SQLite dialect), extra ogr2ogr args follow
    t=$1; q=$2; shift 2
    run ogr2ogr -q -f GPKG -update "$W" "$W" -dialect sqlite -sql "$q" -nln "$t" "$@"
}

# ---------------------------------------------------------------------------
# 2. Zones: 2016 landuse polygons clipped to the box (the area both files hold completely),
#    pieces of at least ZONE_MIN_M2, ordered west to east.
stage s_zone1 "SELECT CASE WHEN osm_way_id IS NOT NULL THEN 'way/' || osm_way_id
                          ELSE 'relation/' || osm_id END AS osm_id, landuse, name,
        ST_Intersection(geom, (SELECT geom FROM p_box)) AS geom
    FROM osm_mp_2016 WHERE landuse IN ($ZONE_LANDUSE)
      AND ST_Intersects(geom, (SELECT geom FROM p_box))" -nlt MULTIPOLYGON
stage s_zones "SELECT printf('Z%02d', ROW_NUMBER() OVER (ORDER BY cx, cy)) AS zone_id,
        COALESCE(name, 'landuse=' || landuse || ' ' || osm_id) AS name, landuse AS kind, osm_id,
        ROW_NUMBER() OVER (ORDER BY cx, cy) AS ord, geom
    FROM (SELECT *, ROUND(ST_X(ST_Centroid(geom)), 3) AS cx, ROUND(ST_Y(ST_Centroid(geom)), 3) AS cy
          FROM s_zone1 WHERE ST_Area(geom) >= $ZONE_MIN_M2)
    ORDER BY ord" -nlt MULTIPOLYGON

# ---------------------------------------------------------------------------
# 3. Parcels: SYNTHESISED (OSM has no cadastre), data/make_sample.sh section 3 without its
#    test extras (no lobes, extra seeds, outside parcels, hole or bow-tie):
#    corridor = 2024 highway lines near the zone, buffered; domain = zone - corridor;
#    seeds = point on surface of each 2024 building of >= SEED_MIN_M2 inside the domain;
#    Voronoi cells clipped to the domain, each keeping the piece that holds its seed.
ROAD_CLASSES="'motorway','motorway_link','trunk','trunk_link','primary','primary_link','secondary','secondary_link','tertiary','tertiary_link','unclassified','residential','living_street'"
stage s_corr "SELECT z.zone_id,
        ST_Union(ST_Buffer(r.geom, CASE WHEN r.highway IN ($ROAD_CLASSES) THEN $CORRIDOR_ROAD
                                        ELSE $CORRIDOR_MINOR END)) AS geom
    FROM s_zones z JOIN osm_lines_2024 r ON ST_Intersects(r.geom, ST_Buffer(z.geom, 60))
    WHERE r.highway IN ($ROAD_CLASSES) OR r.highway = 'cycleway'
       OR (r.highway = 'service' AND r.service IS NULL AND ST_Length(r.geom) >= 50)
    GROUP BY z.zone_id ORDER BY z.zone_id" -nlt MULTIPOLYGON
stage s_dom "SELECT z.zone_id, CASE WHEN c.geom IS NULL THEN z.geom
                                    ELSE ST_Difference(z.geom, c.geom) END AS geom
    FROM s_zones z LEFT JOIN s_corr c USING (zone_id) ORDER BY z.zone_id" -nlt MULTIPOLYGON
# One seed per point: OSM holds the odd building mapped twice (same outline, two ids).
stage s_seeds "SELECT zone_id, MIN(k) AS k, geom FROM (
        SELECT d.zone_id, (b.osm_way_id IS NULL) * 1e12 + CAST(COALESCE(b.osm_way_id, b.osm_id) AS INTEGER) AS k,
               ST_PointOnSurface(b.geom) AS geom
        FROM s_dom d JOIN osm_mp_2024 b ON ST_Within(ST_PointOnSurface(b.geom), d.geom)
        WHERE b.building IS NOT NULL AND ST_Area(b.geom) >= $SEED_MIN_M2)
    GROUP BY zone_id, ST_AsText(geom) ORDER BY zone_id, k" -nlt POINT
# A zone with one seed is one cell (the Voronoi diagram of one point is empty).
stage s_vor "SELECT zone_id, CASE WHEN COUNT(*) = 1 THEN CastToMultiPolygon(ST_Buffer(ST_Collect(geom), 1000))
                             ELSE ST_VoronojDiagram(ST_Collect(geom), 0, 100) END AS geom
    FROM s_seeds GROUP BY zone_id ORDER BY zone_id" -nlt MULTIPOLYGON
stage s_cells "SELECT zone_id, geom FROM s_vor ORDER BY fid" -explodecollections -nlt POLYGON
stage s_cut "SELECT c.zone_id, (c.fid + 0) AS cell, ST_X(s.geom) AS sx, ST_Y(s.geom) AS sy,
        ST_Intersection(c.geom, d.geom) AS geom
    FROM s_cells c JOIN s_dom d USING (zone_id)
    JOIN s_seeds s ON s.zone_id = c.zone_id AND ST_Intersects(s.geom, c.geom)
    WHERE ST_Intersects(c.geom, d.geom) ORDER BY cell" -nlt GEOMETRY
stage s_piece "SELECT zone_id, cell, sx, sy, geom FROM s_cut ORDER BY cell" \
    -explodecollections -nlt GEOMETRY
stage s_keep "SELECT zone_id, cell, geom FROM s_piece
    WHERE GeometryType(geom) = 'POLYGON' AND ST_Intersects(geom, MakePoint(sx, sy, 31370))
    ORDER BY cell" -nlt POLYGON
stage s_parcels "SELECT printf('P%04d', ROW_NUMBER() OVER (ORDER BY zone_id, cx, cy)) AS parcel_id,
        zone_id AS seed_zone, ROW_NUMBER() OVER (ORDER BY zone_id, cx, cy) AS ord, geom
    FROM (SELECT zone_id, CastToMultiPolygon(geom) AS geom,
                 ROUND(ST_X(ST_Centroid(geom)), 3) AS cx, ROUND(ST_Y(ST_Centroid(geom)), 3) AS cy
          FROM s_keep)
    ORDER BY ord" -nlt MULTIPOLYGON

# ---------------------------------------------------------------------------
# 4. Buildings of each date: real OSM footprints touching a zone grown by BLD_MARGIN, ways
#    then relations by OSM id, one Polygon per part. floors from a plain integer
#    building:levels; OSM version and timestamp, GRB import tags and age hints kept.
for y in 2016 2024; do
    stage s_b1_$y "SELECT CASE WHEN osm_way_id IS NOT NULL THEN 'way/' || osm_way_id
                               ELSE 'relation/' || osm_id END AS osm_id,
            building,
            CASE WHEN building_levels GLOB '[0-9]*' AND NOT building_levels GLOB '*[^0-9]*'
                 THEN building_levels END AS floors,
            osm_version, osm_timestamp, osm_changeset, source_geometry_date AS grb_date,
            source_geometry_ref AS grb_ref, start_date, heritage, ref_onroerenderfgoed AS heritage_ref,
            (osm_way_id IS NULL) AS k1, CAST(COALESCE(osm_way_id, osm_id) AS INTEGER) AS k2, geom
        FROM osm_mp_$y
        WHERE building IS NOT NULL
          AND ST_Intersects(geom, (SELECT ST_Buffer(ST_Union(geom), $BLD_MARGIN) FROM s_zones))
        ORDER BY k1, k2"
    stage s_b2_$y "SELECT * FROM s_b1_$y ORDER BY fid" -explodecollections
    stage s_buildings_$y "SELECT osm_id, building, floors, osm_version, osm_timestamp, osm_changeset, grb_date,
            grb_ref, start_date, heritage, heritage_ref,
            ROW_NUMBER() OVER (ORDER BY k1, k2, fid) AS ord, geom
        FROM s_b2_$y WHERE GeometryType(geom) = 'POLYGON' ORDER BY ord"
done

# ---------------------------------------------------------------------------
# 5. Final layers (OGR SQL: CAST fixes field types even when first rows are NULL).
rm -f "$GPKG" "$GPKG-journal" "$GPKG-wal" "$GPKG-shm"
final() { # $1 = source table, $2 = target layer, $3 = geometry type, $4 = select list
    run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect OGRSQL \
        -sql "SELECT $4 FROM $1 ORDER BY ord" \
        -nln "$2" -nlt "$3" -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES
}
run ogr2ogr -q -f GPKG "$GPKG" "$W" -dialect OGRSQL \
    -sql "SELECT CAST(zone_id AS character(8)) AS zone_id, CAST(name AS character(80)) AS name, CAST(kind AS character(16)) AS kind, CAST(osm_id AS character(24)) AS osm_id FROM s_zones ORDER BY ord" \
    -nln zones -nlt MULTIPOLYGON -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES
final s_parcels parcels MULTIPOLYGON \
    "CAST(parcel_id AS character(8)) AS parcel_id, CAST(seed_zone AS character(8)) AS seed_zone, CAST(1 AS integer) AS synthetic"
for y in 2016 2024; do
    final s_buildings_$y buildings_$y POLYGON \
        "CAST(osm_id AS character(24)) AS osm_id, CAST(building AS character(32)) AS building, CAST(floors AS integer) AS floors, CAST(osm_version AS integer) AS osm_version, CAST(osm_timestamp AS character(24)) AS osm_timestamp, CAST(osm_changeset AS integer) AS osm_changeset, CAST(grb_date AS character(16)) AS grb_date, CAST(grb_ref AS character(24)) AS grb_ref, CAST(start_date AS character(16)) AS start_date, CAST(heritage AS character(8)) AS heritage, CAST(heritage_ref AS character(16)) AS heritage_ref"
done

run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect OGRSQL \
    -sql "SELECT CAST(CONCAT('node/', osm_id) AS character(24)) AS osm_id, CAST(osm_version AS integer) AS osm_version, CAST(addr_street AS character(80)) AS street, CAST(addr_housenumber AS character(16)) AS housenumber, CAST(name AS character(80)) AS name, CAST(shop AS character(32)) AS shop, CAST(office AS character(32)) AS office, CAST(craft AS character(32)) AS craft FROM osm_addr_2016" \
    -nln addresses_2016 -nlt POINT -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES

# Self-checks of what README.md says about the synthetic parcels.
q1() { ogrinfo -ro -q "$1" -dialect sqlite -sql "$2" 2>/dev/null | sed -n 's/^ *v ([A-Za-z0-9]*) = //p'; }
check() { # $1 = label, $2 = expected, $3 = SQL returning v
    got=$(q1 "$GPKG" "$3")
    [ "$got" = "$2" ] || die "check failed: $1: expected $2, got '$got'"
}
nseeds=$(q1 "$W" "SELECT COUNT(*) AS v FROM s_seeds")
check "one parcel per seed" "$nseeds" "SELECT COUNT(*) AS v FROM parcels"
check "invalid parcels or zones" 0 "SELECT (SELECT COUNT(*) FROM parcels WHERE NOT ST_IsValid(geom))
    + (SELECT COUNT(*) FROM zones WHERE NOT ST_IsValid(geom)) AS v"
check "overlapping parcel pairs" 0 "SELECT COUNT(*) AS v FROM parcels a JOIN parcels b
    ON a.fid < b.fid AND ST_Intersects(a.geom, b.geom)
    WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 0.01"

echo "wrote $GPKG"
for l in zones parcels buildings_2016 buildings_2024 addresses_2016; do
    echo "  $l: $(ogrinfo -ro -so "$GPKG" "$l" | sed -n 's/^Feature Count: //p') features"
done

# ---------------------------------------------------------------------------
# 6. The two surveys and the follow-up.
project() { # $1 = year, $2 = survey date
    cat <<EOF
# Real case (tests/realcases/README.md): OpenStreetMap buildings of $1 on synthetic parcels.
[project]
name = "Leuven Tervuursevest, OSM buildings $1 (real case)"
output = "out_$1"
crs = "EPSG:31370"
overwrite = true
sources = "leuven.gpkg (zones: OSM landuse 2016; parcels: synthetic; buildings: OSM $1)"
osm = true
survey_date = "$2"
data_date = "$2"

[layers.zones]
source = "leuven.gpkg:zones"
id_field = "zone_id"

[layers.parcels]
source = "leuven.gpkg:parcels"
id_field = "parcel_id"

[layers.buildings]
source = "leuven.gpkg:buildings_$1"
id_field = "osm_id"

[occupancy]
profile = "default"
zone_name_field = "name"
floors_field = "floors"

[export]
formats = ["geojson", "gpkg"]
EOF
}
project 2016 "$DATE2016" >"$OUT/leuven_2016.toml"
project 2024 "$DATE2024" >"$OUT/leuven_2024.toml"
for y in 2016 2024; do
    "$SPACEUSE" --no-progress run "$OUT/leuven_$y.toml" -o "$OUT/out_$y" --overwrite --threads 2 \
        >"$OUT/run_$y.txt" 2>&1 || { cat "$OUT/run_$y.txt" >&2; die "spaceuse run leuven_$y.toml failed"; }
    echo "== spaceuse run leuven_$y.toml (zone table)"
    sed -n '/^zone /,$p' "$OUT/run_$y.txt"
done
echo "== spaceuse diff out_2016 out_2024 -o followup"
"$SPACEUSE" --no-progress diff "$OUT/out_2016" "$OUT/out_2024" -o "$OUT/followup" --overwrite

# ---------------------------------------------------------------------------
# 7. Which OSM edits make the change.
MAXWAY=$(osmium fileinfo -e -g data.maxid.ways "$OUT/osm/tervuursevest_2016.osm.pbf")
MAXREL=$(osmium fileinfo -e -g data.maxid.relations "$OUT/osm/tervuursevest_2016.osm.pbf")
/usr/bin/python3 "$HERE/leuven_osm_edits.py" "$OUT" "$DATE2016" "$MAXWAY" "$MAXREL"
