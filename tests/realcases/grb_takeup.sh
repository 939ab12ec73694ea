#!/bin/sh
# grb_takeup.sh - real case: take-up from the dates of real GRB parcel records (Heverlee)
#
# Usage: sh tests/realcases/grb_takeup.sh [SHARED_DATA_DIR] [WORK_DIR] [SPACEUSE]
#
#   SHARED_DATA_DIR  default: ../shared/data relative to the repository root; reads
#                    flanders_grb/heverlee_grb_parcels_dated.geojson (207 GRB Adp parcels)
#                    leuven_osm/GreatLeuven.osm.pbf (OSM, June 2024: buildings, if any there)
#   WORK_DIR         default: /tmp/spaceuse-realcases; this script writes WORK_DIR/grb_takeup/
#   SPACEUSE         default: $SPACEUSE, else build/cli/spaceuse under the repository root
#
# What it does (see README.md next to this script):
#   1. prints what the file holds: one record per parcel (no older versions), its dates
#      (BEGINDATUM, VERSDATUM, FISCDATUM) and why each record was last changed (BGNINV/LBLBGNINV);
#   2. zones: the sample's zones (data/heverlee.gpkg) that overlap the parcels, else one zone,
#      the convex hull of the parcels; buildings: the OSM buildings of GreatLeuven.osm.pbf on
#      that zone (the extract holds none there: an empty layer);
#   3. two surveys of the same records: BEFORE_DATE and AFTER_DATE (the file holds no older
#      versions, so the earlier survey is a copy with an earlier survey_date);
#   4. `spaceuse diff` four times: take-up from the diff, from FISCDATUM, from FISCDATUM
#      without the records whose reason is no parcel event (plan creation, map maintenance),
#      and from VERSDATUM; checks the take-up counts against ogrinfo.
#
# Deterministic: fixed inputs, no randomness, features ordered by CAPAKEY, the WGS84 -> Lambert
# 72 transformation pinned (as in data/make_sample.sh), GeoPackage timestamps pinned. Needs
# gdal-bin (GeoJSON and OSM drivers, SQLite dialect with SpatiaLite) and a POSIX sh.
# Data: "Bron: GRB, Digitaal Vlaanderen", Modellicentie Gratis Hergebruik v1.0;
# © OpenStreetMap contributors, ODbL 1.0 (nothing generated is committed).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC=${1:-"$ROOT/../shared/data"}
WORK=${2:-/tmp/spaceuse-realcases}
SPACEUSE=${3:-${SPACEUSE:-"$ROOT/build/cli/spaceuse"}}
GJ="$SRC/flanders_grb/heverlee_grb_parcels_dated.geojson"
LAYER=heverlee_grb_parcels_dated
PBF="$SRC/leuven_osm/GreatLeuven.osm.pbf"
SAMPLE="$ROOT/data/heverlee.gpkg"
OUT="$WORK/grb_takeup"

die() { echo "grb_takeup.sh: $*" >&2; exit 1; }
for f in "$GJ" "$PBF" "$SAMPLE"; do
    [ -r "$f" ] || die "cannot read $f"
done
for t in ogr2ogr ogrinfo; do
    command -v $t >/dev/null 2>&1 || die "$t not found (gdal-bin)"
done
[ -x "$SPACEUSE" ] || die "no spaceuse at $SPACEUSE (third argument or \$SPACEUSE)"
"$SPACEUSE" diff --help >/dev/null 2>&1 || die "$SPACEUSE has no diff command (an older build?)"

LC_ALL=C
export LC_ALL
PROJ_NETWORK=OFF
export PROJ_NETWORK
OGR_CURRENT_DATE=2025-01-01T00:00:00.000Z
export OGR_CURRENT_DATE

# WGS84 -> EPSG:31370, pinned as in data/make_sample.sh (EPSG:15929, about 1 m).
CT='+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 +step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=-106.8686 +y=52.2978 +z=-103.7239 +rx=-0.3366 +ry=0.457 +rz=-1.8422 +s=-1.2747 +convention=coordinate_frame +step +inv +proj=cart +ellps=intl +step +proj=pop +v_3 +step +proj=lcc +lat_0=90 +lon_0=4.36748666666667 +lat_1=51.1666672333333 +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 +ellps=intl'

# ---------------------------------------------------------------------------
# Parameters
# Survey dates: AFTER = the newest FISCDATUM in the file (the fiscal situation its newest
# records describe); BEFORE = five years earlier, so the interval is the --supply-years window.
BEFORE_DATE=2020-01-01
AFTER_DATE=2025-01-01
# BGNINV codes that are no parcel event (LBLBGNINV): 13 aanmaak uniek percelenplan (creation
# of the unified parcel plan), 3 terreinupdate, 4 bijhouding binnengebieden, 6 globale
# bijhouding, 16 bijhouding managed service (map maintenance). Kept: 11 adpupdate (the yearly
# update from the federal cadastre's administrative parcel plan). The codes, not the labels:
# one label ends in CR LF in the file, so "LBLBGNINV NOT IN ('aanmaak uniek percelenplan', ...)"
# silently keeps those 72 records.
NOT_EVENT="13, 3, 4, 6, 16"
WHERE="BGNINV NOT IN ($NOT_EVENT)"

mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/spaceuse_grb.XXXXXX")
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
W="$TMP/work.gpkg"
GPKG="$OUT/grb.gpkg"

run() {
    if ! "$@" 2>"$TMP/err"; then
        cat "$TMP/err" >&2
        exit 1
    fi
    cat "$TMP/err" >&2
}
# One value of a one-row query (SQLite dialect).
q1() { ogrinfo -ro -q "$1" -dialect sqlite -sql "$2" 2>/dev/null | sed -n 's/^ *v ([A-Za-z0-9]*) = //p'; }
# Rows of a query as "a|b|c" lines (SQLite dialect).
rows() {
    ogrinfo -ro -q "$1" -dialect sqlite -sql "$2" 2>/dev/null | awk '
        /^OGRFeature/ { if (line != "") print line; line = "" ; next }
        / = / { sub(/^ *[^ ]+ \([A-Za-z0-9]+\) = /, ""); line = (line == "" ? $0 : line "|" $0) }
        END { if (line != "") print line }'
}

# ---------------------------------------------------------------------------
# 1. What the file holds.
# Dates are compared as text (substr): the GeoJSON driver's date fields refuse text filters.
echo "== $LAYER: $(q1 "$GJ" "SELECT COUNT(*) AS v FROM $LAYER") records," \
    "$(q1 "$GJ" "SELECT COUNT(DISTINCT CAPAKEY) AS v FROM $LAYER") CAPAKEY," \
    "$(q1 "$GJ" "SELECT COUNT(DISTINCT OIDN) AS v FROM $LAYER") OIDN (one record per parcel: no older versions)"
echo "VERSDATUM $(q1 "$GJ" "SELECT MIN(VERSDATUM) || ' .. ' || MAX(VERSDATUM) AS v FROM $LAYER");" \
    "BEGINDATUM $(q1 "$GJ" "SELECT MIN(BEGINDATUM) || ' .. ' || MAX(BEGINDATUM) AS v FROM $LAYER");" \
    "FISCDATUM on 1 January: $(q1 "$GJ" "SELECT SUM(substr(FISCDATUM, 6, 5) = '01-01') AS v FROM $LAYER");" \
    "VERSIE 1: $(q1 "$GJ" "SELECT SUM(VERSIE = 1) AS v FROM $LAYER");" \
    "BEGINDATUM after 2019: $(q1 "$GJ" "SELECT SUM(substr(BEGINDATUM, 1, 4) > '2019') AS v FROM $LAYER");" \
    "labels ending in CR/LF: $(q1 "$GJ" "SELECT SUM(LBLBGNINV LIKE '%' || char(10)) AS v FROM $LAYER")"
echo "FISCDATUM year | BGNINV | LBLBGNINV | records | m2"
rows "$GJ" "SELECT substr(FISCDATUM, 1, 4) AS y, BGNINV AS c,
        REPLACE(REPLACE(LBLBGNINV, char(13), ''), char(10), '') AS l, COUNT(*) AS n,
        printf('%.0f', SUM(ST_Area(geometry))) AS a
    FROM $LAYER GROUP BY 1, 2, 3 ORDER BY 1, 2" | sed 's/^/  /'

# ---------------------------------------------------------------------------
# 2. Layers: parcels (the records as they are, ordered by CAPAKEY), zones, buildings.
rm -f "$GPKG" "$GPKG-journal" "$GPKG-wal" "$GPKG-shm"
run ogr2ogr -q -f GPKG "$GPKG" "$GJ" -dialect OGRSQL \
    -sql "SELECT CAPAKEY, OIDN, UIDN, VERSIE, BEGINDATUM, VERSDATUM, FISCDATUM, BGNINV, LBLBGNINV, NISCODE FROM $LAYER ORDER BY CAPAKEY" \
    -nln parcels -nlt MULTIPOLYGON -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES
run ogr2ogr -q -f GPKG "$W" "$SAMPLE" zones -nln sample_zones
run ogr2ogr -q -f GPKG -update "$W" "$GPKG" parcels -nln parcels
nsample=$(q1 "$W" "SELECT COUNT(*) AS v FROM sample_zones z
    WHERE ST_Intersects(z.geom, (SELECT ST_Union(geom) FROM parcels))")
if [ "$nsample" -gt 0 ]; then
    echo "zones: the $nsample sample zones that overlap the parcels"
    run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect sqlite \
        -sql "SELECT z.zone_id, z.name, z.geom FROM sample_zones z
              WHERE ST_Intersects(z.geom, (SELECT ST_Union(geom) FROM parcels)) ORDER BY z.zone_id" \
        -nln zones -nlt MULTIPOLYGON -lco FID=fid -lco GEOMETRY_NAME=geom
else
    echo "zones: no sample zone overlaps the parcels; one zone, the parcels' convex hull"
    run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect sqlite \
        -sql "SELECT 'HEV' AS zone_id, 'Heverlee GRB extract (convex hull of the 207 parcels)' AS name,
                     ST_ConvexHull(ST_Union(geom)) AS geom FROM parcels" \
        -nln zones -nlt MULTIPOLYGON -a_srs EPSG:31370 -lco FID=fid -lco GEOMETRY_NAME=geom
fi
run ogr2ogr -q -f GPKG -update "$W" "$GPKG" zones -nln zones

# Buildings: OSM footprints on the zones (way ids, then relations).
cat >"$TMP/osmconf.ini" <<'EOF'
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism
attribute_name_laundering=yes
[points]
osm_id=yes
[lines]
osm_id=yes
[multipolygons]
osm_id=yes
attributes=building,building:levels
other_tags=no
[multilinestrings]
osm_id=yes
[other_relations]
osm_id=yes
EOF
ext=$(ogrinfo -ro -so "$W" zones | sed -n 's/^Extent: (\(.*\), \(.*\)) - (\(.*\), \(.*\))$/\1 \2 \3 \4/p')
# shellcheck disable=SC2086
run ogr2ogr -q -f GPKG -update "$W" "$PBF" multipolygons -oo CONFIG_FILE="$TMP/osmconf.ini" \
    -spat $ext -spat_srs EPSG:31370 -where "building IS NOT NULL" \
    -s_srs EPSG:4326 -t_srs EPSG:31370 -ct "$CT" -nln osm_bld -nlt MULTIPOLYGON
run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect sqlite \
    -sql "SELECT CASE WHEN b.osm_way_id IS NOT NULL THEN 'way/' || b.osm_way_id
                      ELSE 'relation/' || b.osm_id END AS osm_id,
                 b.building, CAST(NULL AS INTEGER) AS floors, b.geom
          FROM osm_bld b JOIN zones z ON ST_Intersects(b.geom, z.geom)
          ORDER BY (b.osm_way_id IS NULL), CAST(COALESCE(b.osm_way_id, b.osm_id) AS INTEGER)" \
    -nln buildings -nlt MULTIPOLYGON -a_srs EPSG:31370 -lco FID=fid -lco GEOMETRY_NAME=geom
nbld=$(ogrinfo -ro -so "$GPKG" buildings | sed -n 's/^Feature Count: //p')
echo "buildings: $nbld OSM footprints on the zone (GreatLeuven.osm.pbf was cut at about 50.8636 N;" \
    "the parcels lie at 50.850-50.860 N)"
echo "wrote $GPKG: zones $(ogrinfo -ro -so "$GPKG" zones | sed -n 's/^Feature Count: //p')," \
    "parcels $(ogrinfo -ro -so "$GPKG" parcels | sed -n 's/^Feature Count: //p'), buildings $nbld"

# ---------------------------------------------------------------------------
# 3. Two surveys of the same records.
project() { # $1 = name, $2 = survey date
    cat <<EOF
# Real case (tests/realcases/README.md): GRB parcel records of Heverlee, survey $2.
[project]
name = "Heverlee GRB parcels, survey $2 (real case)"
output = "out_$1"
crs = "EPSG:31370"
overwrite = true
sources = "grb.gpkg (parcels: GRB Adp, Digitaal Vlaanderen; buildings: OSM)"
survey_date = "$2"
data_date = "$AFTER_DATE"

[layers.zones]
source = "grb.gpkg:zones"
id_field = "zone_id"

[layers.parcels]
source = "grb.gpkg:parcels"
id_field = "CAPAKEY"

[layers.buildings]
source = "grb.gpkg:buildings"
id_field = "osm_id"

[occupancy]
profile = "default"
zone_name_field = "name"
floors_field = "floors"
EOF
}
project before "$BEFORE_DATE" >"$OUT/grb_before.toml"
project after "$AFTER_DATE" >"$OUT/grb_after.toml"
for s in before after; do
    "$SPACEUSE" --no-progress run "$OUT/grb_$s.toml" -o "$OUT/out_$s" --overwrite --threads 2 \
        >"$OUT/run_$s.txt" 2>&1 || { cat "$OUT/run_$s.txt" >&2; die "spaceuse run grb_$s.toml failed"; }
done
echo "== spaceuse run grb_after.toml (zone table; grb_before.toml gives the same)"
sed -n '/^zone /,$p' "$OUT/run_after.txt"

# ---------------------------------------------------------------------------
# 4. Take-up four ways.
diff_case() { # $1 = output folder name, then extra options
    d=$1; shift
    echo "== spaceuse diff out_before out_after -o $d $*"
    "$SPACEUSE" --no-progress diff "$OUT/out_before" "$OUT/out_after" -o "$OUT/$d" --overwrite "$@" 2>&1 |
        grep -v '^wrote '
    echo "-- takeup.csv (ALL): period_from, takeup_m2, n_parcels"
    awk -F, '$1 == "ALL" { print "  " $3 "  " $7 "  " $8 }' "$OUT/$d/takeup.csv"
    echo "-- stock.csv (ALL, vacant): ..., takeup_basis, mean_annual_takeup_m2, years_of_supply"
    grep '^ALL,All zones,vacant,' "$OUT/$d/stock.csv" | sed 's/^/  /'
}
diff_case takeup_diff
diff_case takeup_fiscdatum --issue-date-field FISCDATUM
diff_case takeup_fiscdatum_events --issue-date-field FISCDATUM --issue-date-where "$WHERE"
diff_case takeup_versdatum --issue-date-field VERSDATUM

# Checks: per year, the take-up rows count the records ogrinfo counts, and the filter leaves
# out exactly the records of the codes in NOT_EVENT.
check_year() { # $1 = diff folder, $2 = date field, $3 = SQL condition
    rows "$GPKG" "SELECT substr($2, 1, 4) AS y, COUNT(*) AS n, printf('%.2f', SUM(ST_Area(geom))) AS a
        FROM parcels WHERE $3 GROUP BY 1 ORDER BY 1" >"$TMP/expected"
    awk -F, '$1 == "ALL" && $8 > 0 { print substr($3, 1, 4) "|" $8 "|" $7 }' "$OUT/$1/takeup.csv" \
        >"$TMP/got"
    cmp -s "$TMP/expected" "$TMP/got" ||
        { diff "$TMP/expected" "$TMP/got" >&2 || true; die "check failed: $1 per year ($2)"; }
}
check_year takeup_fiscdatum FISCDATUM "1"
check_year takeup_fiscdatum_events FISCDATUM "BGNINV NOT IN ($NOT_EVENT)"
check_year takeup_versdatum VERSDATUM "1"
left=$(sed -n 's/.*"parcels_filtered_out": *\([0-9]*\).*/\1/p' "$OUT/takeup_fiscdatum_events/run.json" | head -n 1)
want=$(q1 "$GPKG" "SELECT COUNT(*) AS v FROM parcels WHERE BGNINV IN ($NOT_EVENT)")
[ "$left" = "$want" ] || die "check failed: the filter left out '$left' records, ogrinfo counts $want"
echo "checks passed: take-up per year = ogrinfo's count and area per year; filter left out $want records"
