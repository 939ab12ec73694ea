#!/bin/sh
# make_earlier_survey.sh - derive an earlier survey (2021-06-01) of the sample
#
# Usage: sh data/make_earlier_survey.sh
#
# Reads heverlee.gpkg next to this script (only read; run make_sample.sh first
# if it is missing) and writes, next to this script:
#   heverlee_2021.gpkg   layers parcels and buildings as they were on
#                        SURVEY_DATE (EPSG:31370, same fields as heverlee.gpkg)
#
# The result is DERIVED, not a real survey: today's synthetic parcels and real
# OSM buildings, turned back to an invented state of 2021 with the fixed
# changes below, so that `spaceuse diff` has one of each kind of change to
# show (split, merged, renumbered, reshaped, new and retired parcels, changed
# statuses, buildings put up since). See data/README.md, "Earlier survey".
# The parcels' fields for the definition profiles (impr_value ... vac_floor)
# are derived anew for 2021 by the rules of sample_fields.sh (shared with
# make_sample.sh), from the 2021 parcels, statuses, issue dates and buildings;
# the buildings keep today's (real OSM) address.
#
# Reads sample_fields.sh next to this script. Needs only the GDAL
# command-line tools (ogr2ogr, ogrinfo; SQLite dialect
# with SpatiaLite/GEOS functions) and a POSIX sh. Deterministic: no
# randomness, features ordered by stable keys, fids 1..n in that order, the
# GeoPackage timestamps pinned, so two runs give identical files.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC="$HERE/heverlee.gpkg"
GPKG="$HERE/heverlee_2021.gpkg"
# The synthetic parcel fields: parameters and parcel_fields_sql.
. "$HERE/sample_fields.sh"

if [ ! -r "$SRC" ]; then
    echo "make_earlier_survey.sh: cannot read $SRC (run make_sample.sh first)" >&2
    exit 1
fi
for t in ogr2ogr ogrinfo; do
    command -v $t >/dev/null 2>&1 || { echo "make_earlier_survey.sh: $t (gdal-bin) not found" >&2; exit 1; }
done

LC_ALL=C
export LC_ALL
PROJ_NETWORK=OFF
export PROJ_NETWORK
# Pinned timestamp (GeoPackage gpkg_contents.last_change): the survey date.
OGR_CURRENT_DATE=2021-06-01T00:00:00.000Z
export OGR_CURRENT_DATE

TMP=$(mktemp -d "${TMPDIR:-/tmp}/spaceuse_2021.XXXXXX")
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
W="$TMP/work.gpkg"

# ---------------------------------------------------------------------------
# Parameters: what was different on SURVEY_DATE (ids are today's unless said)

SURVEY_DATE=2021-06-01
# Buildings: absent are those whose largest part lies on a parcel issued after
# SURVEY_DATE (issue_date of heverlee.gpkg; those parcels were vacant then),
# and these extensions, put up later on parcels already in use.
EXTENSIONS="'way/88681735','way/156940882'"
# Split since: the 2021 parcel SPLIT_FROM was today's two adjacent parcels.
SPLIT_FROM=P1001
SPLIT_INTO="'P0010','P0011'"
# Merged since: today's MERGED was two parcels, cut by the east-west line
# through its centroid (y rounded to 0.01 m): MERGED_NORTH and MERGED_SOUTH.
MERGED=P0040
MERGED_NORTH=P0040a
MERGED_SOUTH=P0040b
# Renumbered since: today's RENUMBERED had the id RENUMBERED_FROM.
RENUMBERED=P0023
RENUMBERED_FROM=P1002
# New since: today's NEW did not exist; its land was part of NEW_LAND_OF,
# which therefore had another shape (reshaped).
NEW=P0005
NEW_LAND_OF=P0004
# Retired since: RETIRED, the land of RETIRED_ZONE inside RETIRED_AREA that is
# on no parcel today (a strip between Gaston Geenslaan and the zone's
# northern edge, where no parcel lies today).
RETIRED=P1003
RETIRED_ZONE=Z1
RETIRED_AREA='POLYGON((171240 172887, 171320 172915, 171320 172960, 171240 172930, 171240 172887))'
# Statuses that differ from today's (id=status in 2021).
STATUS_2021='P0016=not_issued P0035=reserved'

# ---------------------------------------------------------------------------
# Run a GDAL tool; drop GEOS "Self-intersection" notices (expected for the
# bow-tie P0014) from its messages, pass everything else on, fail on failure.
run() {
    if ! "$@" 2>"$TMP/err"; then
        cat "$TMP/err" >&2
        exit 1
    fi
    grep -v '^GEOS warning: Self-intersection' "$TMP/err" >&2 || true
}
stage() { # $1 = target table, $2 = SQL (SQLite dialect), extra ogr2ogr args follow
    t=$1; q=$2; shift 2
    run ogr2ogr -q -f GPKG -update "$W" "$W" -dialect sqlite -sql "$q" -nln "$t" "$@"
}

# Work on a copy: the input is never opened for writing.
cp "$SRC" "$W"

STATUS_CASE=""
for kv in $STATUS_2021; do
    STATUS_CASE="$STATUS_CASE WHEN '${kv%%=*}' THEN '${kv#*=}'"
done
# issue_date as of SURVEY_DATE: later dates had not happened yet.
ISSUED="CASE WHEN issue_date <= '$SURVEY_DATE' THEN issue_date END"
CHANGED="'$MERGED','$RENUMBERED','$NEW','$NEW_LAND_OF',$SPLIT_INTO"

# Today's parcels with issue_date as of SURVEY_DATE. Overlays use the repaired
# geometry; parcels kept as they are keep the original (P0014 stays the
# invalid bow-tie).
stage e_today "SELECT parcel_id, status, $ISSUED AS issue_date, geom
    FROM parcels ORDER BY fid" -nlt MULTIPOLYGON

# 2021 parcels, before the status changes.
stage e_par1 "SELECT parcel_id, status, issue_date, geom FROM e_today
        WHERE parcel_id NOT IN ($CHANGED)
    UNION ALL
    SELECT '$SPLIT_FROM', MAX(status), MIN(issue_date), CastToMultiPolygon(ST_Union(ST_MakeValid(geom)))
        FROM e_today WHERE parcel_id IN ($SPLIT_INTO)
    UNION ALL
    SELECT CASE WHEN k = 1 THEN '$MERGED_NORTH' ELSE '$MERGED_SOUTH' END, status, issue_date,
        CastToMultiPolygon(CollectionExtract(ST_Intersection(g,
            CASE WHEN k = 1 THEN BuildMbr(MbrMinX(g) - 1, cy, MbrMaxX(g) + 1, MbrMaxY(g) + 1, 31370)
                 ELSE BuildMbr(MbrMinX(g) - 1, MbrMinY(g) - 1, MbrMaxX(g) + 1, cy, 31370) END), 3))
        FROM (SELECT status, issue_date, ST_MakeValid(geom) AS g, ROUND(ST_Y(ST_Centroid(ST_MakeValid(geom))), 2) AS cy
              FROM e_today WHERE parcel_id = '$MERGED'),
             (SELECT 1 AS k UNION ALL SELECT 2)
    UNION ALL
    SELECT '$RENUMBERED_FROM', status, issue_date, geom FROM e_today WHERE parcel_id = '$RENUMBERED'
    UNION ALL
    SELECT '$NEW_LAND_OF', a.status, a.issue_date, CastToMultiPolygon(ST_Union(ST_MakeValid(a.geom), ST_MakeValid(b.geom)))
        FROM e_today a, e_today b WHERE a.parcel_id = '$NEW_LAND_OF' AND b.parcel_id = '$NEW'
    UNION ALL
    SELECT '$RETIRED', NULL, NULL, CastToMultiPolygon(CollectionExtract(ST_Difference(
            ST_Intersection(z.geom, ST_GeomFromText('$RETIRED_AREA', 31370)),
            (SELECT ST_Union(ST_MakeValid(geom)) FROM e_today)), 3))
        FROM zones z WHERE z.zone_id = '$RETIRED_ZONE'" -nlt MULTIPOLYGON
stage e_parcels "SELECT parcel_id,
        CASE parcel_id $STATUS_CASE ELSE status END AS status, issue_date,
        ROW_NUMBER() OVER (ORDER BY parcel_id) AS ord, geom
    FROM e_par1 ORDER BY ord" -nlt MULTIPOLYGON

# Buildings: each building's parcel is the one holding its largest part.
stage e_bpar "SELECT bfid, parcel_id, issue_date FROM (
        SELECT b.fid AS bfid, p.parcel_id, p.issue_date,
            ROW_NUMBER() OVER (PARTITION BY b.fid
                ORDER BY ST_Area(CollectionExtract(ST_Intersection(p.g, b.geom), 3)) DESC, p.parcel_id) AS rk
        FROM buildings b JOIN (SELECT parcel_id, issue_date, ST_MakeValid(geom) AS g FROM parcels) p
            ON ST_Intersects(p.g, b.geom))
    WHERE rk = 1 ORDER BY bfid" -nlt NONE
stage e_buildings "SELECT b.osm_id, b.building, b.floors, b.height, b.address,
        ROW_NUMBER() OVER (ORDER BY b.fid) AS ord, b.geom
    FROM buildings b LEFT JOIN e_bpar p ON p.bfid = b.fid
    WHERE NOT (COALESCE(p.issue_date, '') > '$SURVEY_DATE') AND b.osm_id NOT IN ($EXTENSIONS)
    ORDER BY ord" -nlt POLYGON

# The parcels' fields for the definition profiles, by the rules of
# sample_fields.sh on the 2021 parcels and buildings (zones and roads did not
# change).
stage e_pfields "$(parcel_fields_sql e_parcels e_buildings zones roads)" -nlt NONE
stage e_parcels_f "SELECT p.parcel_id, p.status, p.issue_date, p.ord,
        f.impr_value, f.land_value, f.in_use, f.offer, f.issuable, f.owner, f.vac_floor, p.geom
    FROM e_parcels p JOIN e_pfields f ON f.ord = p.ord
    ORDER BY p.ord" -nlt MULTIPOLYGON

# ---------------------------------------------------------------------------
# Output (OGR SQL dialect: CAST gives the same field types as heverlee.gpkg).
rm -f "$GPKG" "$GPKG-journal" "$GPKG-wal" "$GPKG-shm"
run ogr2ogr -q -f GPKG "$GPKG" "$W" -dialect OGRSQL \
    -sql "SELECT CAST(parcel_id AS character(8)) AS parcel_id, CAST(status AS character(16)) AS status, CAST(1 AS integer) AS synthetic, CAST(issue_date AS date) AS issue_date, CAST(impr_value AS float) AS impr_value, CAST(land_value AS float) AS land_value, CAST(in_use AS integer) AS in_use, CAST(offer AS character(16)) AS offer, CAST(issuable AS integer) AS issuable, CAST(owner AS character(8)) AS owner, CAST(vac_floor AS float) AS vac_floor FROM e_parcels_f ORDER BY ord" \
    -nln parcels -nlt MULTIPOLYGON -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES
run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect OGRSQL \
    -sql "SELECT CAST(osm_id AS character(24)) AS osm_id, CAST(building AS character(32)) AS building, CAST(floors AS integer) AS floors, CAST(height AS float) AS height, CAST(address AS integer) AS address FROM e_buildings ORDER BY ord" \
    -nln buildings -nlt POLYGON -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES

# ---------------------------------------------------------------------------
# Self-check of what data/README.md promises, on the written file (read back
# into the work copy as o_parcels and o_buildings, next to today's layers).
for l in parcels buildings; do
    run ogr2ogr -q -f GPKG -update "$W" "$GPKG" "$l" -nln "o_$l" -preserve_fid
done
check() { # $1 = label, $2 = expected value, $3 = SQL returning one value (on $DB)
    got=$(ogrinfo -ro -q "${DB:-$W}" -dialect sqlite -sql "$3" 2>/dev/null \
        | sed -n 's/^ *v ([A-Za-z]*) = //p')
    if [ "$got" != "$2" ]; then
        echo "make_earlier_survey.sh: check failed: $1: expected $2, got '$got'" >&2
        exit 1
    fi
}
OLD_IDS="'$SPLIT_FROM','$MERGED_NORTH','$MERGED_SOUTH','$RENUMBERED_FROM','$RETIRED'"
# Layers, CRS, fields.
DB=$GPKG check "layers" "buildings parcels" "SELECT group_concat(t, ' ') AS v FROM (
    SELECT table_name AS t FROM gpkg_contents ORDER BY table_name)"
for l in parcels buildings; do
    got=$(ogrinfo -ro -so "$GPKG" "$l" | sed -n 's/^\([a-z_]*\): \([A-Za-z]* ([0-9.]*)\)$/\1 \2/p' | tr '\n' ' ')
    want=$(ogrinfo -ro -so "$SRC" "$l" | sed -n 's/^\([a-z_]*\): \([A-Za-z]* ([0-9.]*)\)$/\1 \2/p' | tr '\n' ' ')
    if [ "$got" != "$want" ]; then
        echo "make_earlier_survey.sh: check failed: fields of $l: expected '$want', got '$got'" >&2
        exit 1
    fi
done
check "CRS" "31370 31370" "SELECT (SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'o_parcels')
    || ' ' || (SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'o_buildings') AS v"
check "fids 1..n" "0" "SELECT (SELECT COUNT(*) FROM o_parcels WHERE fid NOT BETWEEN 1 AND (SELECT COUNT(*) FROM o_parcels))
    + (SELECT COUNT(*) FROM o_buildings WHERE fid NOT BETWEEN 1 AND (SELECT COUNT(*) FROM o_buildings)) AS v"
# Parcels.
check "duplicate parcel ids" 0 "SELECT COUNT(*) - COUNT(DISTINCT parcel_id) AS v FROM o_parcels"
check "invalid parcels (only P0014, the bow-tie)" "P0014" \
    "SELECT group_concat(parcel_id) AS v FROM o_parcels WHERE NOT ST_IsValid(geom)"
check "overlapping parcel pairs" 0 "SELECT COUNT(*) AS v FROM o_parcels a JOIN o_parcels b
    ON a.fid < b.fid AND ST_Intersects(ST_MakeValid(a.geom), ST_MakeValid(b.geom))
    WHERE ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(a.geom), ST_MakeValid(b.geom)), 3)) > 0.01"
check "parcels not in the change lists: same id and geometry as today" 0 "SELECT
    (SELECT COUNT(*) FROM parcels WHERE parcel_id NOT IN ($CHANGED))
    - (SELECT COUNT(*) FROM o_parcels o JOIN parcels p USING (parcel_id)
       WHERE p.parcel_id NOT IN ($CHANGED) AND ST_AsBinary(o.geom) = ST_AsBinary(p.geom)) AS v"
check "ids that exist only in 2021" "$(echo "$OLD_IDS" | tr -d "'" | tr ',' '\n' | sort | paste -sd, -)" \
    "SELECT group_concat(parcel_id) AS v FROM (SELECT parcel_id FROM o_parcels
        WHERE parcel_id NOT IN (SELECT parcel_id FROM parcels) ORDER BY parcel_id)"
check "today's ids absent in 2021" "$(echo "$SPLIT_INTO,'$MERGED','$RENUMBERED','$NEW'" | tr -d "'" | tr ',' '\n' | sort | paste -sd, -)" \
    "SELECT group_concat(parcel_id) AS v FROM (SELECT parcel_id FROM parcels
        WHERE parcel_id NOT IN (SELECT parcel_id FROM o_parcels) ORDER BY parcel_id)"
check "split: one polygon, the union of its parts" "1 0" "SELECT ST_NumGeometries(o.geom) || ' '
    || (ABS(ST_Area(o.geom) - (SELECT SUM(ST_Area(geom)) FROM parcels WHERE parcel_id IN ($SPLIT_INTO))) > 0.01) AS v
    FROM o_parcels o WHERE o.parcel_id = '$SPLIT_FROM'"
check "merged: two parts of at least 20 % that make up today's parcel" "2 0 0" "SELECT COUNT(*) || ' '
    || (ABS(SUM(ST_Area(o.geom)) - ST_Area(p.geom)) > 0.01) || ' '
    || SUM(ST_Area(CollectionExtract(ST_Intersection(o.geom, p.geom), 3)) < 0.999 * ST_Area(o.geom)
           OR ST_Area(o.geom) < 0.2 * ST_Area(p.geom)) AS v
    FROM o_parcels o, parcels p
    WHERE o.parcel_id IN ('$MERGED_NORTH', '$MERGED_SOUTH') AND p.parcel_id = '$MERGED'"
check "renumbered: same geometry" 1 "SELECT ST_AsBinary(o.geom) = ST_AsBinary(p.geom) AS v
    FROM o_parcels o, parcels p WHERE o.parcel_id = '$RENUMBERED_FROM' AND p.parcel_id = '$RENUMBERED'"
check "new: its land was part of $NEW_LAND_OF" 0 "SELECT ABS(ST_Area(o.geom)
        - (SELECT SUM(ST_Area(geom)) FROM parcels WHERE parcel_id IN ('$NEW', '$NEW_LAND_OF'))) > 0.01 AS v
    FROM o_parcels o WHERE o.parcel_id = '$NEW_LAND_OF'"
check "retired: one polygon of 300 m2 or more, in its zone, on no parcel of today, off the roads" "1 1 1 0 0" \
    "SELECT ST_NumGeometries(o.geom) || ' ' || (ST_Area(o.geom) >= 300) || ' '
        || (ST_Area(CollectionExtract(ST_Intersection(o.geom, z.geom), 3)) > ST_Area(o.geom) - 0.01) || ' '
        || (SELECT COUNT(*) FROM parcels p WHERE ST_Intersects(ST_MakeValid(p.geom), o.geom)
            AND ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(p.geom), o.geom), 3)) > 0.01) || ' '
        || (SELECT COUNT(*) FROM roads r WHERE ST_Intersects(r.geom, o.geom)) AS v
    FROM o_parcels o, zones z WHERE o.parcel_id = '$RETIRED' AND z.zone_id = '$RETIRED_ZONE'"
check "statuses that differ from today's" "$(echo "$STATUS_2021" | tr ' ' '\n' | sort | paste -sd' ' -)" \
    "SELECT group_concat(parcel_id || '=' || COALESCE(s, ''), ' ') AS v FROM (
        SELECT o.parcel_id, o.status AS s FROM o_parcels o JOIN parcels p USING (parcel_id)
        WHERE COALESCE(o.status, '') <> COALESCE(p.status, '') ORDER BY o.parcel_id)"
check "issue dates after the survey" 0 "SELECT COUNT(*) AS v FROM o_parcels WHERE issue_date > '$SURVEY_DATE'"
check "issue dates of parcels kept by id: today's, or NULL if later than the survey" 0 "SELECT COUNT(*) AS v
    FROM o_parcels o JOIN parcels p USING (parcel_id)
    WHERE COALESCE(o.issue_date, '') <> COALESCE(CASE WHEN p.issue_date <= '$SURVEY_DATE' THEN p.issue_date END, '')"
# Buildings.
check "buildings: a subset of today's, same attributes and geometry" 0 "SELECT COUNT(*) AS v FROM o_buildings o
    WHERE NOT EXISTS (SELECT 1 FROM buildings b WHERE b.osm_id = o.osm_id AND b.building IS o.building
        AND b.floors IS o.floors AND b.height IS o.height AND b.address IS o.address
        AND ST_AsBinary(b.geom) = ST_AsBinary(o.geom))"
check "extensions absent" 0 "SELECT COUNT(*) AS v FROM o_buildings WHERE osm_id IN ($EXTENSIONS)"
check "parcels issued after the survey carry no building (> 1 m2) in 2021" 0 "SELECT COUNT(*) AS v
    FROM parcels p JOIN o_buildings b ON ST_Intersects(ST_MakeValid(p.geom), b.geom)
    WHERE p.issue_date > '$SURVEY_DATE'
      AND ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(p.geom), b.geom), 3)) > 1"
check "invalid buildings" 0 "SELECT COUNT(*) AS v FROM o_buildings WHERE NOT ST_IsValid(geom)"
# Fields for the definition profiles: today's rules, so a parcel whose
# geometry, status, issue_date and buildings are today's has today's values.
check "profile fields NULL or out of range" 0 "SELECT COUNT(*) AS v FROM o_parcels
    WHERE impr_value IS NULL OR impr_value < 0 OR land_value IS NULL OR land_value <= 0
       OR in_use NOT IN (0, 1) OR issuable NOT IN (0, 1) OR offer NOT IN ('offered', 'not offered', 'option')
       OR owner NOT IN ('public', 'private') OR vac_floor < 0 OR vac_floor > 1
       OR in_use IS NULL OR issuable IS NULL OR offer IS NULL OR owner IS NULL"
NB="(SELECT p.parcel_id, COUNT(*) AS n FROM parcels p JOIN buildings b ON ST_Intersects(ST_MakeValid(p.geom), b.geom) GROUP BY p.parcel_id)"
ONB="(SELECT p.parcel_id, COUNT(*) AS n FROM o_parcels p JOIN o_buildings b ON ST_Intersects(ST_MakeValid(p.geom), b.geom) GROUP BY p.parcel_id)"
check "parcels with today's geometry, status, issue_date and buildings: today's profile fields" 0 "SELECT COUNT(*) AS v
    FROM o_parcels o JOIN parcels p USING (parcel_id)
    LEFT JOIN $NB nb ON nb.parcel_id = p.parcel_id LEFT JOIN $ONB onb ON onb.parcel_id = o.parcel_id
    WHERE ST_AsBinary(o.geom) = ST_AsBinary(p.geom) AND o.status IS p.status AND o.issue_date IS p.issue_date
      AND COALESCE(nb.n, 0) = COALESCE(onb.n, 0)
      AND NOT (o.impr_value IS p.impr_value AND o.land_value IS p.land_value AND o.in_use IS p.in_use
           AND o.offer IS p.offer AND o.issuable IS p.issuable AND o.owner IS p.owner AND o.vac_floor IS p.vac_floor)"

# ---------------------------------------------------------------------------
echo "wrote $GPKG"
for l in parcels buildings; do
    n=$(ogrinfo -ro -so "$GPKG" "$l" | sed -n 's/^Feature Count: //p')
    echo "  $l: $n features"
done
