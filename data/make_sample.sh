#!/bin/sh
# make_sample.sh - regenerate the bundled "spaceuse" sample dataset (Heverlee, Leuven)
#
# Usage: sh data/make_sample.sh [SHARED_DATA_DIR]
#
#   SHARED_DATA_DIR defaults to "$(dirname "$0")/../../shared/data" and must hold
#     leuven_osm/GreatLeuven.osm.pbf   (OpenStreetMap, June 2024)
#
# Writes, next to this script:
#   heverlee.gpkg   layers zones, parcels, buildings, roads, pois (EPSG:31370)
#   shp/<layer>.shp the same five layers as ESRI shapefiles (.cpg UTF-8, .prj)
#
# zones, buildings, roads and pois are real OpenStreetMap data. parcels are
# SYNTHESISED here (OSM has no cadastre): a Voronoi split of each zone around
# its real building footprints, see section 3 and data/README.md. Their
# status and issue_date attributes are synthetic too, and so are the fields
# for the definition profiles (impr_value, land_value, in_use, offer,
# issuable, owner, vac_floor), derived by the rules of sample_fields.sh. The
# buildings' address (0/1) is real: OSM addr:housenumber on the building.
#
# Reads sample_fields.sh next to this script (shared with
# make_earlier_survey.sh). Needs only the GDAL command-line tools (ogr2ogr,
# ogrinfo; OSM driver; SQLite dialect with SpatiaLite/GEOS functions) and a
# POSIX sh. The input is only read.
# Deterministic: fixed inputs and parameters, no randomness, features ordered
# by stable keys, fids 1..n in that order, the WGS84 -> Lambert 72
# transformation pinned (see CT below) and file timestamps pinned, so two runs
# give identical files.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${1:-"$(dirname "$0")/../../shared/data"}
PBF="$SRC/leuven_osm/GreatLeuven.osm.pbf"
OUT="$HERE"
# The synthetic parcel fields: parameters and parcel_fields_sql.
. "$HERE/sample_fields.sh"

if [ ! -r "$PBF" ]; then
    echo "make_sample.sh: cannot read $PBF (pass the shared data folder as argument)" >&2
    exit 1
fi
for t in ogr2ogr ogrinfo; do
    command -v $t >/dev/null 2>&1 || { echo "make_sample.sh: $t (gdal-bin) not found" >&2; exit 1; }
done

LC_ALL=C
export LC_ALL
# No network grids, no user PROJ/GDAL settings that could change coordinates.
PROJ_NETWORK=OFF
export PROJ_NETWORK
# Pinned timestamps (GeoPackage gpkg_contents.last_change, DBF header date).
OGR_CURRENT_DATE=2024-06-01T00:00:00.000Z
export OGR_CURRENT_DATE
DBF_DATE=2024-06-01

TMP=$(mktemp -d "${TMPDIR:-/tmp}/spaceuse_sample.XXXXXX")
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
W="$TMP/work.gpkg"

# WGS84 (lon/lat as read by the OSM driver) -> EPSG:31370, pinned to
# "Inverse of BD72 to WGS 84 (3) + Belgian Lambert 72" (EPSG:15929, ~1 m), the
# operation PROJ picks when no Belgian grid is installed. Pinned so a machine
# with extra grids gives the same coordinates.
CT='+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3 +step +proj=cart +ellps=WGS84 +step +inv +proj=helmert +x=-106.8686 +y=52.2978 +z=-103.7239 +rx=-0.3366 +ry=0.457 +rz=-1.8422 +s=-1.2747 +convention=coordinate_frame +step +inv +proj=cart +ellps=intl +step +proj=pop +v_3 +step +proj=lcc +lat_0=90 +lon_0=4.36748666666667 +lat_1=51.1666672333333 +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 +ellps=intl'

# ---------------------------------------------------------------------------
# Parameters (EPSG:31370 metres)

# Zones: real OSM landuse polygons, by OSM way id, in output order (west to
# east). The third one has no OSM name; it gets a plain descriptive name.
#   zone_id,osm way id,name to use when OSM has none
ZONES='Z1,299641949,
Z2,303431117,
Z3,92326676,Bedrijvenzone Tiensesteenweg'

# Roads and pois: covers the zones (170774..176383, 172581..173084), Leuven
# station (174412,174611) and the E314 motorway junctions at Winksele and
# Herent (171243..172833, 174640..176316).
ROADS_BOX='170400, 172300, 176800, 176400'
# Buildings: every footprint that touches a zone grown by this many metres.
BLD_MARGIN=60
# Coarse lon/lat prefilter for reading the .pbf (contains all of the above).
LONLAT_BOX='4.64 50.84 4.78 50.92'
# Highway values dropped from roads (indoor/pedestrian micro-ways and
# non-roads), to keep the network at a few thousand segments.
ROADS_DROP="'footway','steps','corridor','platform','elevator','construction','proposed','abandoned','disused','razed','bus_stop','services','rest_area'"

# --- Synthetic parcels (section 3) ---
# Road corridor cut out of each zone: OSM highway lines buffered by
# CORRIDOR_ROAD m (public road classes) or CORRIDOR_MINOR m (cycleways, and
# highway=service without a service=* subtag and at least 50 m long).
CORRIDOR_ROAD=8
CORRIDOR_MINOR=4
# Extra Voronoi seeds with no building (vacant parcels), with the synthetic
# status given to the parcel that holds the seed ('' = none). Values are
# those of data/profiles/*.toml [status_values].
#   zone_id,x,y,status
EXTRA_SEEDS='Z1,170800,172665,
Z1,170840,172715,
Z1,170850,172640,
Z1,170895,172600,
Z1,170900,172680,
Z1,170950,172640,not_issued
Z1,170940,172730,
Z1,170990,172690,not_issued
Z1,171040,172740,
Z1,171300,172770,reserved
Z2,173620,172790,reserved
Z2,173660,172770,in_use
Z3,176222,173045,in_use
Z3,176297,173030,'
# The seed above on Korbeekoase (Z3) has a cell cut in two by the road
# corridor: that cell keeps both pieces, giving the one MultiPolygon parcel.
MULTI_SEED='176297, 173030'
# Lobes: boxes that let the cells next to a zone edge grow LOBE_DEPTH m past
# it (parcels that stick partly out of their zone).
LOBE_DEPTH=12
LOBES='Z1,170930,172560,171010,172680
Z2,173620,172700,173700,172760
Z3,176080,172990,176140,173050'
# Outside parcels: the land of each box that lies OUT_GAP..OUT_DEPTH m outside
# the zone and off the road corridor (parcels outside every zone).
OUT_GAP=12
OUT_DEPTH=45
OUTSIDE='Z1,171400,172720,171480,172800
Z2,173500,172680,173560,172760
Z3,176140,172920,176200,172990'
# A 20 m x 20 m enclave parcel cut out of a vacant parcel (-> one parcel with
# a hole, and one parcel inside that hole).
HOLE_BOX='170890, 172670, 170910, 172690'
# The one deliberately INVALID parcel: a self-intersecting "bow-tie" ring on
# the south edge of Z1 (test of geometry repair). Its repaired shape
# (ST_MakeValid: two triangles) is kept free of all other parcels.
BOWTIE='POLYGON((171201.29 172719.34, 171230.94 172763.44, 171239.94 172729.62, 171193.57 172748.33, 171201.29 172719.34))'
# Synthetic issue_date: the date the parcel was issued (sold or leased to a
# firm), NULL when it never was. A parcel counts as issued when it carries
# more than 1 m2 of a building or its status is reserved or in_use. Its date
# is FROM + ((n * ISSUE_STEP) mod DAYS) days, n = the number of its parcel_id:
# the ISSUED_LATE parcels (taken up after 2021-06-01, the date of the earlier
# survey that make_earlier_survey.sh derives) fall in 2021-07-01..2024-05-31,
# all other issued parcels in 1985-01-01..2020-12-31.
ISSUED_LATE="'P0016','P0017','P0021','P0026','P0037'"
ISSUE_STEP=7919
ISSUE_EARLY_FROM=1985-01-01
ISSUE_EARLY_DAYS=13149
ISSUE_LATE_FROM=2021-07-01
ISSUE_LATE_DAYS=1066

# ---------------------------------------------------------------------------
# 1. OSM: read only what is needed, with our own OSM driver config so the
#    columns do not depend on the installed GDAL's osmconf.ini.
cat >"$TMP/osmconf.ini" <<'EOF'
closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,leisure,military,natural,office,place,shop,sport,tourism,highway=platform,public_transport=platform
attribute_name_laundering=yes
[points]
osm_id=yes
osm_version=no
osm_timestamp=no
osm_uid=no
osm_user=no
osm_changeset=no
attributes=name,highway,railway,ref
other_tags=no
unsignificant=created_by,converted_by,source,time,ele,attribution
ignore=created_by,converted_by,source,time,ele,note,todo,openGeoDB:,fixme,FIXME
[lines]
osm_id=yes
osm_version=no
osm_timestamp=no
osm_uid=no
osm_user=no
osm_changeset=no
attributes=name,highway,oneway,maxspeed,service
other_tags=no
ignore=created_by,converted_by,source,time,ele,note,todo,openGeoDB:,fixme,FIXME
[multipolygons]
osm_id=yes
osm_version=no
osm_timestamp=no
osm_uid=no
osm_user=no
osm_changeset=no
attributes=name,type,building,building:levels,height,landuse,addr:housenumber
other_tags=no
ignore=area,created_by,converted_by,source,time,ele,note,todo,openGeoDB:,fixme,FIXME
[multilinestrings]
osm_id=yes
osm_version=no
osm_timestamp=no
osm_uid=no
osm_user=no
osm_changeset=no
attributes=name,type
other_tags=no
[other_relations]
osm_id=yes
osm_version=no
osm_timestamp=no
osm_uid=no
osm_user=no
osm_changeset=no
attributes=name,type
other_tags=no
EOF

# Run a GDAL tool; drop GEOS "Self-intersection" notices (expected for the
# bow-tie) from its messages, pass everything else on, fail on failure.
run() {
    if ! "$@" 2>"$TMP/err"; then
        cat "$TMP/err" >&2
        exit 1
    fi
    grep -v '^GEOS warning: Self-intersection' "$TMP/err" >&2 || true
}

osm_layer() { # $1 = source layer, $2 = target name, $3 = where
    run ogr2ogr -q -f GPKG -update -append "$W" "$PBF" "$1" \
        -oo CONFIG_FILE="$TMP/osmconf.ini" -oo USE_CUSTOM_INDEXING=YES \
        -spat $LONLAT_BOX -where "$3" \
        -s_srs EPSG:4326 -t_srs EPSG:31370 -ct "$CT" -nln "$2"
}

# The parameter tables (zones list, seeds, lobes, boxes) create the work file.
{
    echo 'zone_id,osm_way_id,fallback_name'
    printf '%s\n' "$ZONES"
} >"$TMP/zone_ids.csv"
{
    echo 'zone_id,x,y,status'
    printf '%s\n' "$EXTRA_SEEDS"
} >"$TMP/extra_seeds.csv"
{
    echo 'zone_id,xmin,ymin,xmax,ymax'
    printf '%s\n' "$LOBES"
} >"$TMP/lobes.csv"
{
    echo 'zone_id,xmin,ymin,xmax,ymax'
    printf '%s\n' "$OUTSIDE"
} >"$TMP/outside.csv"
run ogr2ogr -q -f GPKG "$W" "$TMP/zone_ids.csv" -nln p_zone_ids
for t in extra_seeds lobes outside; do
    run ogr2ogr -q -f GPKG -update "$W" "$TMP/$t.csv" -nln "p_$t" -oo AUTODETECT_TYPE=YES
done

osm_layer points osm_points \
    "highway IN ('motorway_junction', 'bus_stop') OR railway = 'station'"
osm_layer lines osm_lines "highway IS NOT NULL"
osm_layer multipolygons osm_bld "building IS NOT NULL"
osm_layer multipolygons osm_landuse "landuse IN ('industrial', 'commercial') AND osm_way_id IS NOT NULL"

stage() { # $1 = target table, $2 = SQL (SQLite dialect), extra ogr2ogr args follow
    t=$1; q=$2; shift 2
    run ogr2ogr -q -f GPKG -update "$W" "$W" -dialect sqlite -sql "$q" -nln "$t" "$@"
}

# ---------------------------------------------------------------------------
# 2. Zones: real OSM landuse polygons (see ZONES).
stage s_zones "SELECT z.zone_id, COALESCE(l.name, NULLIF(z.fallback_name, '')) AS name, l.landuse AS kind,
        'way/' || l.osm_way_id AS osm_id,
        CAST(SUBSTR(z.zone_id, 2) AS INTEGER) AS ord, l.geom AS geom
    FROM p_zone_ids z JOIN osm_landuse l ON l.osm_way_id = z.osm_way_id
    ORDER BY ord" -nlt POLYGON

# ---------------------------------------------------------------------------
# 3. Parcels: SYNTHESISED (OSM has no parcels). For each zone:
#    a. corridor = OSM highway lines near the zone, buffered (CORRIDOR_*);
#    b. domain   = (zone + lobes grown LOBE_DEPTH m past the edge)
#                  - corridor - repaired bow-tie;
#    c. seeds    = a point on the surface of every real OSM building whose
#                  point lies in the domain, plus EXTRA_SEEDS (vacant land);
#    d. Voronoi diagram of the seeds (ST_VoronojDiagram), each cell clipped
#       to the domain; a cell keeps only the piece that holds its seed (bits
#       cut off by a road stay unparcelled), except the MULTI_SEED cell,
#       which keeps its two largest pieces;
#    e. plus: OUTSIDE parcels, the HOLE_BOX enclave cut out of its parcel,
#       and the BOWTIE parcel as drawn (invalid).
ROAD_CLASSES="'motorway','motorway_link','trunk','trunk_link','primary','primary_link','secondary','secondary_link','tertiary','tertiary_link','unclassified','residential','living_street'"
BOW="ST_GeomFromText('$BOWTIE', 31370)"
HOLE="BuildMbr($HOLE_BOX, 31370)"

stage s_corr "SELECT z.zone_id,
        ST_Union(ST_Buffer(r.geom, CASE WHEN r.highway IN ($ROAD_CLASSES) THEN $CORRIDOR_ROAD
                                        ELSE $CORRIDOR_MINOR END)) AS geom
    FROM s_zones z JOIN osm_lines r ON ST_Intersects(r.geom, ST_Buffer(z.geom, 60))
    WHERE r.highway IN ($ROAD_CLASSES) OR r.highway = 'cycleway'
       OR (r.highway = 'service' AND r.service IS NULL AND ST_Length(r.geom) >= 50)
    GROUP BY z.zone_id ORDER BY z.zone_id" -nlt MULTIPOLYGON
stage s_dom "SELECT z.zone_id, ST_Difference(ST_Difference(
            CASE WHEN l.g IS NULL THEN z.geom
                 ELSE ST_Union(z.geom, ST_Intersection(l.g, ST_Buffer(z.geom, $LOBE_DEPTH))) END,
            c.geom), ST_MakeValid($BOW)) AS geom
    FROM s_zones z JOIN s_corr c USING (zone_id)
    LEFT JOIN (SELECT zone_id, ST_Union(BuildMbr(xmin, ymin, xmax, ymax, 31370)) AS g
               FROM p_lobes GROUP BY zone_id) l USING (zone_id)
    ORDER BY z.zone_id" -nlt MULTIPOLYGON
stage s_seeds "SELECT d.zone_id, NULL AS status, ST_PointOnSurface(b.geom) AS geom
    FROM s_dom d JOIN osm_bld b ON ST_Within(ST_PointOnSurface(b.geom), d.geom)
    UNION ALL
    SELECT zone_id, NULLIF(status, ''), MakePoint(x, y, 31370) FROM p_extra_seeds" -nlt POINT
stage s_vor "SELECT zone_id, ST_VoronojDiagram(ST_Collect(geom), 0, 100) AS geom
    FROM s_seeds GROUP BY zone_id ORDER BY zone_id" -nlt MULTIPOLYGON
stage s_cells "SELECT zone_id, geom FROM s_vor ORDER BY fid" -explodecollections -nlt POLYGON
stage s_cut "SELECT c.zone_id, (c.fid + 0) AS cell, s.status,
        ST_X(s.geom) AS sx, ST_Y(s.geom) AS sy,
        ST_Intersects(c.geom, MakePoint($MULTI_SEED, 31370)) AS keep2,
        ST_Intersection(c.geom, d.geom) AS geom
    FROM s_cells c JOIN s_dom d USING (zone_id)
    JOIN s_seeds s ON s.zone_id = c.zone_id AND ST_Intersects(s.geom, c.geom)
    WHERE ST_Intersects(c.geom, d.geom) ORDER BY cell" -nlt GEOMETRY
stage s_piece "SELECT zone_id, cell, status, sx, sy, keep2, geom FROM s_cut ORDER BY cell" \
    -explodecollections -nlt GEOMETRY
stage s_keep "SELECT zone_id, cell, status, geom FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY cell ORDER BY ST_Area(geom) DESC) AS rk
        FROM s_piece WHERE GeometryType(geom) = 'POLYGON')
    WHERE (NOT keep2 AND ST_Intersects(geom, MakePoint(sx, sy, 31370))) OR (keep2 AND rk <= 2)
    ORDER BY cell, rk" -nlt POLYGON
stage s_par1 "SELECT status, CastToMultiPolygon(ST_Difference(g, $HOLE)) AS geom
    FROM (SELECT cell, MAX(status) AS status, ST_Collect(geom) AS g FROM s_keep GROUP BY cell)
    UNION ALL
    SELECT NULL, CastToMultiPolygon(ST_Difference(
            ST_Intersection(BuildMbr(o.xmin, o.ymin, o.xmax, o.ymax, 31370), ST_Buffer(z.geom, $OUT_DEPTH)),
            ST_Union(ST_Buffer(z.geom, $OUT_GAP), c.geom)))
    FROM p_outside o JOIN s_zones z USING (zone_id) JOIN s_corr c USING (zone_id)
    UNION ALL SELECT NULL, CastToMultiPolygon($HOLE)
    UNION ALL SELECT NULL, CastToMultiPolygon($BOW)" -nlt MULTIPOLYGON
# Order: by the zone holding the largest part of the (repaired) parcel, then
# parcels in no zone; within that by centroid x, then y.
stage s_par2 "SELECT p.fid AS pfid, z.zone_id,
        ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(p.geom), z.geom), 3)) AS a
    FROM s_par1 p JOIN s_zones z ON ST_Intersects(ST_MakeValid(p.geom), z.geom)" -nlt NONE
stage s_par3 "SELECT printf('P%04d', ROW_NUMBER() OVER (ORDER BY zkey, cx, cy)) AS parcel_id, status,
        ROW_NUMBER() OVER (ORDER BY zkey, cx, cy) AS ord, geom FROM (
        SELECT p.status, p.geom,
            COALESCE((SELECT a.zone_id FROM s_par2 a WHERE a.pfid = p.fid AND a.a > 0
                      ORDER BY a.a DESC LIMIT 1), 'Z~') AS zkey,
            ROUND(ST_X(ST_Centroid(ST_MakeValid(p.geom))), 3) AS cx,
            ROUND(ST_Y(ST_Centroid(ST_MakeValid(p.geom))), 3) AS cy
        FROM s_par1 p)
    ORDER BY ord" -nlt MULTIPOLYGON

# ---------------------------------------------------------------------------
# 4. Buildings, roads, pois: real OSM. Then the parcels' synthetic issue_date,
#    which depends on the buildings, and their other synthetic fields, which
#    depend on the buildings, the zones and the roads (sample_fields.sh).
# Buildings: way footprints first, then multipolygon relations, by OSM id.
# floors only from a plain non-negative integer building:levels; height only
# from a plain number of metres ("12", "7.5", "12 m"); anything else -> NULL.
# address = 1 when the way or relation itself has a non-empty addr:housenumber.
stage s_bld1 "SELECT
        CASE WHEN osm_way_id IS NOT NULL THEN 'way/' || osm_way_id
             ELSE 'relation/' || osm_id END AS osm_id,
        building,
        CASE WHEN building_levels GLOB '[0-9]*'
              AND NOT building_levels GLOB '*[^0-9]*' THEN building_levels END AS floors,
        CASE WHEN h GLOB '[0-9]*' AND NOT h GLOB '*[^0-9.]*'
              AND NOT h GLOB '*.*.*' AND NOT h GLOB '*.' THEN h END AS height,
        (addr_housenumber IS NOT NULL AND TRIM(addr_housenumber) <> '') AS address,
        (osm_way_id IS NULL) AS k1,
        CAST(COALESCE(osm_way_id, osm_id) AS INTEGER) AS k2,
        geom
    FROM (SELECT *, TRIM(CASE WHEN height LIKE '%m' THEN SUBSTR(height, 1, LENGTH(height) - 1)
                              ELSE height END) AS h
          FROM osm_bld)
    WHERE building IS NOT NULL
      AND ST_Intersects(geom, (SELECT ST_Buffer(ST_Union(geom), $BLD_MARGIN) FROM s_zones))
    ORDER BY k1, k2"
# Multipolygon buildings -> one Polygon per part (same osm_id).
stage s_bld2 "SELECT osm_id, building, floors, height, address, k1, k2, geom FROM s_bld1 ORDER BY fid" \
    -explodecollections
stage s_buildings "SELECT osm_id, building, floors, height, address,
        ROW_NUMBER() OVER (ORDER BY k1, k2, fid) AS ord, geom
    FROM s_bld2 ORDER BY ord"

# Parcels' synthetic issue_date (see ISSUED_LATE), from the largest part of a
# building that each (repaired) parcel carries.
stage s_pbld "SELECT p.ord AS pord,
        MAX(ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(p.geom), b.geom), 3))) AS a
    FROM s_par3 p JOIN s_buildings b ON ST_Intersects(ST_MakeValid(p.geom), b.geom)
    GROUP BY p.ord ORDER BY p.ord" -nlt NONE
stage s_par4 "SELECT p.parcel_id, p.status, p.ord,
        CASE WHEN COALESCE(b.a, 0) <= 1 AND COALESCE(p.status, '') NOT IN ('reserved', 'in_use') THEN NULL
             WHEN p.parcel_id IN ($ISSUED_LATE)
             THEN date('$ISSUE_LATE_FROM', '+' || ((p.ord * $ISSUE_STEP) % $ISSUE_LATE_DAYS) || ' days')
             ELSE date('$ISSUE_EARLY_FROM', '+' || ((p.ord * $ISSUE_STEP) % $ISSUE_EARLY_DAYS) || ' days')
        END AS issue_date, p.geom
    FROM s_par3 p LEFT JOIN s_pbld b ON b.pord = p.ord
    ORDER BY p.ord" -nlt MULTIPOLYGON

# Roads: highway lines clipped to ROADS_BOX, split into single LineStrings.
stage s_road1 "SELECT 'way/' || osm_id AS osm_id, highway, name,
        CASE WHEN oneway IN ('yes', 'true', '1') THEN 'yes'
             WHEN oneway IN ('-1', 'reverse') THEN '-1'
             WHEN oneway IN ('no', 'false', '0') THEN 'no' END AS oneway,
        maxspeed,
        CAST(osm_id AS INTEGER) AS k,
        ST_Intersection(geom, BuildMbr($ROADS_BOX, ST_SRID(geom))) AS geom
    FROM osm_lines
    WHERE highway IS NOT NULL AND highway NOT IN ($ROADS_DROP)
      AND ST_Intersects(geom, BuildMbr($ROADS_BOX, ST_SRID(geom)))
    ORDER BY k" -nlt GEOMETRY
stage s_road2 "SELECT osm_id, highway, name, oneway, maxspeed, k, geom FROM s_road1 ORDER BY fid" \
    -explodecollections
stage s_roads "SELECT osm_id, highway, name, oneway, maxspeed,
        ROW_NUMBER() OVER (ORDER BY k, fid) AS ord, geom
    FROM s_road2
    WHERE GeometryType(geom) = 'LINESTRING' AND ST_Length(geom) > 0
    ORDER BY ord"

stage s_pois "SELECT 'node/' || osm_id AS osm_id,
        CASE WHEN highway = 'motorway_junction' THEN 'motorway_exit'
             WHEN railway = 'station' THEN 'rail_station'
             WHEN highway = 'bus_stop' THEN 'bus_stop' END AS kind,
        name, ref, CAST(osm_id AS INTEGER) AS ord, geom
    FROM osm_points
    WHERE (highway IN ('motorway_junction', 'bus_stop') OR railway = 'station')
      AND ST_Within(geom, BuildMbr($ROADS_BOX, ST_SRID(geom)))
    ORDER BY ord"

# The parcels' other synthetic fields (sample_fields.sh), on the parcels with
# their issue_date, the buildings, the zones and the roads made above.
stage s_pfields "$(parcel_fields_sql s_par4 s_buildings s_zones s_roads)" -nlt NONE
stage s_parcels "SELECT p.parcel_id, p.status, p.ord, p.issue_date,
        f.impr_value, f.land_value, f.in_use, f.offer, f.issuable, f.owner, f.vac_floor, p.geom
    FROM s_par4 p JOIN s_pfields f ON f.ord = p.ord
    ORDER BY p.ord" -nlt MULTIPOLYGON

# ---------------------------------------------------------------------------
# 5. Final layers (OGR SQL dialect: CAST fixes the field types even when the
#    first rows are NULL). Fresh output every run.
GPKG="$OUT/heverlee.gpkg"
rm -f "$GPKG" "$GPKG-journal" "$GPKG-wal" "$GPKG-shm"
mkdir -p "$OUT/shp"

final() { # $1 = layer, $2 = geometry type, $3 = select list (without geometry)
    run ogr2ogr -q -f GPKG -update "$GPKG" "$W" -dialect OGRSQL \
        -sql "SELECT $3 FROM s_$1 ORDER BY ord" \
        -nln "$1" -nlt "$2" -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES
}
# -update on a missing file fails: create it with the first layer.
run ogr2ogr -q -f GPKG "$GPKG" "$W" -dialect OGRSQL \
    -sql "SELECT CAST(zone_id AS character(8)) AS zone_id, CAST(name AS character(80)) AS name, CAST(kind AS character(16)) AS kind, CAST(osm_id AS character(24)) AS osm_id FROM s_zones ORDER BY ord" \
    -nln zones -nlt POLYGON -lco FID=fid -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES
# parcel_id is P0001.. in output order; synthetic = 1 on every parcel.
# The fields for the definition profiles follow (sample_fields.sh).
final parcels MULTIPOLYGON \
    "CAST(parcel_id AS character(8)) AS parcel_id, CAST(status AS character(16)) AS status, CAST(1 AS integer) AS synthetic, CAST(issue_date AS date) AS issue_date, CAST(impr_value AS float) AS impr_value, CAST(land_value AS float) AS land_value, CAST(in_use AS integer) AS in_use, CAST(offer AS character(16)) AS offer, CAST(issuable AS integer) AS issuable, CAST(owner AS character(8)) AS owner, CAST(vac_floor AS float) AS vac_floor"
final buildings POLYGON \
    "CAST(osm_id AS character(24)) AS osm_id, CAST(building AS character(32)) AS building, CAST(floors AS integer) AS floors, CAST(height AS float) AS height, CAST(address AS integer) AS address"
final roads LINESTRING \
    "CAST(osm_id AS character(24)) AS osm_id, CAST(highway AS character(32)) AS highway, CAST(name AS character(80)) AS name, CAST(oneway AS character(3)) AS oneway, CAST(maxspeed AS character(16)) AS maxspeed"
final pois POINT \
    "CAST(osm_id AS character(24)) AS osm_id, CAST(kind AS character(16)) AS kind, CAST(name AS character(80)) AS name, CAST(ref AS character(16)) AS ref"

# Shapefiles, converted from the GeoPackage (same order, same values).
for l in zones parcels buildings roads pois; do
    rm -f "$OUT/shp/$l".shp "$OUT/shp/$l".shx "$OUT/shp/$l".dbf "$OUT/shp/$l".prj "$OUT/shp/$l".cpg
    run ogr2ogr -q -f "ESRI Shapefile" "$OUT/shp/$l.shp" "$GPKG" "$l" \
        -lco ENCODING=UTF-8 -lco DBF_DATE_LAST_UPDATE="$DBF_DATE"
done

# ---------------------------------------------------------------------------
# 6. Self-check of what data/README.md promises about the synthetic parcels.
check() { # $1 = label, $2 = expected value, $3 = SQL returning one value
    got=$(ogrinfo -ro -q "$GPKG" -dialect sqlite -sql "$3" 2>/dev/null \
        | sed -n 's/^ *v ([A-Za-z]*) = //p')
    if [ "$got" != "$2" ]; then
        echo "make_sample.sh: check failed: $1: expected $2, got '$got'" >&2
        exit 1
    fi
}
nseeds=$(ogrinfo -ro -q "$W" -dialect sqlite -sql "SELECT COUNT(*) AS v FROM s_seeds" 2>/dev/null \
    | sed -n 's/^ *v ([A-Za-z]*) = //p')
nout=$(ogrinfo -ro -q "$W" -dialect sqlite -sql "SELECT COUNT(*) AS v FROM p_outside" 2>/dev/null \
    | sed -n 's/^ *v ([A-Za-z]*) = //p')
check "parcels = seeds + outside + enclave + bow-tie (a seed off its zone?)" $((nseeds + nout + 2)) \
    "SELECT COUNT(*) AS v FROM parcels"
check "invalid parcels" 1 "SELECT COUNT(*) AS v FROM parcels WHERE NOT ST_IsValid(geom)"
check "multipart parcels" 1 "SELECT COUNT(*) AS v FROM parcels WHERE ST_NumGeometries(geom) > 1"
check "parcels with a hole" 1 "SELECT COUNT(*) AS v FROM parcels WHERE ST_IsValid(geom) AND NumInteriorRings(ST_GeometryN(geom, 1)) > 0"
check "overlapping parcel pairs" 0 "SELECT COUNT(*) AS v FROM parcels a JOIN parcels b
    ON a.fid < b.fid AND ST_Intersects(ST_MakeValid(a.geom), ST_MakeValid(b.geom))
    WHERE ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(a.geom), ST_MakeValid(b.geom)), 3)) > 0.01"
check "invalid zones/buildings" 0 "SELECT (SELECT COUNT(*) FROM zones WHERE NOT ST_IsValid(geom))
    + (SELECT COUNT(*) FROM buildings WHERE NOT ST_IsValid(geom)) AS v"
nlate=$(printf '%s\n' "$ISSUED_LATE" | tr ',' '\n' | grep -c .)
check "parcels issued after 2021-06-01 (an ISSUED_LATE parcel not issued?)" "$nlate" \
    "SELECT COUNT(*) AS v FROM parcels WHERE issue_date > '2021-06-01'"
check "issue dates out of range" 0 "SELECT COUNT(*) AS v FROM parcels
    WHERE issue_date NOT BETWEEN '$ISSUE_EARLY_FROM' AND date('$ISSUE_EARLY_FROM', '+$((ISSUE_EARLY_DAYS - 1)) days')
      AND issue_date NOT BETWEEN '$ISSUE_LATE_FROM' AND date('$ISSUE_LATE_FROM', '+$((ISSUE_LATE_DAYS - 1)) days')"
# The fields for the definition profiles (sample_fields.sh, data/README.md).
# built = carries more than 1 m2 of a building.
BUILT="(SELECT p.fid FROM parcels p JOIN buildings b ON ST_Intersects(ST_MakeValid(p.geom), b.geom)
    WHERE ST_Area(CollectionExtract(ST_Intersection(ST_MakeValid(p.geom), b.geom), 3)) > 1)"
check "NULL or out-of-range profile fields" 0 "SELECT COUNT(*) AS v FROM parcels
    WHERE impr_value IS NULL OR impr_value < 0 OR land_value IS NULL OR land_value <= 0
       OR in_use IS NULL OR in_use NOT IN (0, 1) OR issuable IS NULL OR issuable NOT IN (0, 1)
       OR offer IS NULL OR offer NOT IN ('offered', 'not offered', 'option')
       OR owner IS NULL OR owner NOT IN ('public', 'private')
       OR vac_floor < 0 OR vac_floor > 1"
check "vac_floor NULL exactly on the unbuilt parcels" 0 "SELECT COUNT(*) AS v FROM parcels
    WHERE (vac_floor IS NULL) = (fid IN $BUILT)"
check "unbuilt parcels with impr_value >= 5000" 0 "SELECT COUNT(*) AS v FROM parcels
    WHERE fid NOT IN $BUILT AND impr_value >= 5000"
check "parcels with 0 < impr_value < 5000" 1 "SELECT COUNT(*) > 0 AS v FROM parcels
    WHERE impr_value > 0 AND impr_value < 5000"
check "impr_value / land_value <= 0.05, in between, >= 0.40 (Oregon)" "1 1 1" "SELECT
    (SUM(impr_value / land_value <= 0.05) > 0) || ' '
    || (SUM(impr_value / land_value > 0.05 AND impr_value / land_value < 0.40) > 0) || ' '
    || (SUM(impr_value / land_value >= 0.40) > 0) AS v FROM parcels"
check "in_use: built parcels not in use, unbuilt parcels in use" "1 1" "SELECT
    (SUM(fid IN $BUILT AND in_use = 0) > 0) || ' ' || (SUM(fid NOT IN $BUILT AND in_use = 1) > 0) AS v
    FROM parcels"
check "offer values" "not offered,offered,option" "SELECT group_concat(offer) AS v FROM (
    SELECT DISTINCT offer FROM parcels ORDER BY offer)"
check "issuable: 1 on issued parcels, both values on the others" "0 0,1" "SELECT
    (SELECT COUNT(*) FROM parcels WHERE issue_date IS NOT NULL AND issuable <> 1) || ' '
    || (SELECT group_concat(issuable) FROM (SELECT DISTINCT issuable FROM parcels
        WHERE issue_date IS NULL ORDER BY issuable)) AS v"
check "owner: private on issued parcels, both values on the others" "0 private,public" "SELECT
    (SELECT COUNT(*) FROM parcels WHERE issue_date IS NOT NULL AND owner <> 'private') || ' '
    || (SELECT group_concat(owner) FROM (SELECT DISTINCT owner FROM parcels
        WHERE issue_date IS NULL ORDER BY owner)) AS v"
check "vac_floor >= 0.5, < 0.5, = 0.5" "1 1 1" "SELECT (SUM(vac_floor >= 0.5) > 0) || ' '
    || (SUM(vac_floor < 0.5) > 0) || ' ' || (SUM(vac_floor = 0.5) > 0) AS v FROM parcels"
check "building address NULL or not 0/1, or no value 1" "0 1" "SELECT
    SUM(address IS NULL OR address NOT IN (0, 1)) || ' ' || (SUM(address = 1) > 0) AS v FROM buildings"
# The shapefiles keep every field name (at most 10 characters) and type.
for l in parcels buildings; do
    got=$(ogrinfo -ro -so "$OUT/shp/$l.shp" "$l" | sed -n 's/^\([a-z_]*\): \([A-Za-z]*\) .*$/\1 \2/p' | tr '\n' ' ')
    want=$(ogrinfo -ro -so "$GPKG" "$l" | sed -n 's/^\([a-z_]*\): \([A-Za-z]*\) .*$/\1 \2/p' | tr '\n' ' ')
    if [ "$got" != "$want" ]; then
        echo "make_sample.sh: check failed: fields of shp/$l.shp: expected '$want', got '$got'" >&2
        exit 1
    fi
done

# ---------------------------------------------------------------------------
echo "wrote $GPKG and $OUT/shp/"
for l in zones parcels buildings roads pois; do
    n=$(ogrinfo -ro -so "$GPKG" "$l" | sed -n 's/^Feature Count: //p')
    echo "  $l: $n features"
done
