# sample_fields.sh - the synthetic parcel attributes of the sample, sourced by
# make_sample.sh (today's survey) and make_earlier_survey.sh (2021), so that
# both surveys derive them with the same rules and parameters. Not a script of
# its own: it only sets parameters and defines parcel_fields_sql.
#
# The fields serve the definition profiles (Flemish VLAIO inventory, Dutch
# IBIS, Oregon OAR 660-038, Portland Metro RLIS, Flemish vacancy decree 1995).
# All of them are SYNTHETIC, derived without randomness from the parcel's
# (repaired) area, the real OSM buildings on it, its synthetic status and
# issue_date, the real zones and the real roads; see data/README.md.
#
# A parcel is "built" when it carries more than 1 m2 of a building (the rule of
# issue_date in make_sample.sh): slivers of a neighbour's building do not count.

# Land value, EUR per m2 of (repaired) parcel area.
LAND_UNIT=110
# Improvement value, EUR per m2 of building footprint on a built parcel.
IMPR_UNIT=600
# Improvement value, EUR per m2 of parcel area, of an unbuilt parcel with status
# in_use (paving and fencing of a yard or car park).
YARD_UNIT=1.5
# A parcel not yet issued is serviced (IBIS "immediately issuable", with the
# zone's plan in force) when it lies in a zone within SERVICED_DIST m of a
# public road (these highway classes, as the road corridor of make_sample.sh).
SERVICED_DIST=10
SERVICED_ROADS="'motorway','motorway_link','trunk','trunk_link','primary','primary_link','secondary','secondary_link','tertiary','tertiary_link','unclassified','residential','living_street'"
# Unused share of the floor area of some real OSM buildings (all others are
# fully used): osm_id=share. A parcel's vac_floor is the floor-area-weighted
# mean over the building parts on it (floor area = footprint part x floors,
# 1 floor when unknown). way/641201840 (the office on P0015) stands empty.
VACANT_SHARES='way/641201840=1
way/232690181=0.5
way/93724426=0.75
way/217417950=0.4
way/187392562=0.25'

# Prints the SQL (SQLite dialect) of a table with one row per parcel: ord and
# the new fields. $1 = parcels (parcel_id, status, issue_date, ord, geom),
# $2 = buildings (osm_id, floors, geom), $3 = zones, $4 = roads (highway).
parcel_fields_sql() {
    vs=$(printf '%s\n' "$VACANT_SHARES" | sed -n "s/^\([a-z]*\/[0-9]*\)=\([0-9.]*\)$/ WHEN '\1' THEN \2/p" | tr -d '\n')
    cat <<EOF
WITH pv AS (SELECT ord, parcel_id, status, issue_date, ST_MakeValid(geom) AS g FROM $1),
parts AS (SELECT pv.ord,
        COALESCE(ST_Area(CollectionExtract(ST_Intersection(pv.g, b.geom), 3)), 0) AS a,
        COALESCE(CAST(b.floors AS INTEGER), 1) AS fl,
        CASE b.osm_id $vs ELSE 0 END AS v
    FROM pv JOIN $2 b ON ST_Intersects(pv.g, b.geom)),
bld AS (SELECT ord, SUM(a) AS ba, MAX(a) AS mx, SUM(a * fl) AS fa, SUM(a * fl * v) AS va
    FROM parts GROUP BY ord),
inzone AS (SELECT DISTINCT pv.ord FROM pv JOIN $3 z ON ST_Intersects(pv.g, z.geom)
    WHERE ST_Area(CollectionExtract(ST_Intersection(pv.g, z.geom), 3)) > 0),
serviced AS (SELECT DISTINCT pv.ord FROM pv JOIN $4 r
        ON MbrIntersects(r.geom, BuildMbr(MbrMinX(pv.g) - $SERVICED_DIST, MbrMinY(pv.g) - $SERVICED_DIST,
                                           MbrMaxX(pv.g) + $SERVICED_DIST, MbrMaxY(pv.g) + $SERVICED_DIST))
    WHERE r.highway IN ($SERVICED_ROADS) AND ST_Distance(pv.g, r.geom) <= $SERVICED_DIST),
f1 AS (SELECT pv.ord, pv.status, pv.issue_date, ST_Area(pv.g) AS area,
        COALESCE(b.mx, 0) > 1 AS built, b.ba,
        CASE WHEN COALESCE(b.mx, 0) > 1 THEN ROUND(b.va / b.fa, 4) END AS vac_floor,
        pv.ord IN (SELECT ord FROM inzone) AS inzone,
        pv.ord IN (SELECT ord FROM serviced) AS serviced
    FROM pv LEFT JOIN bld b ON b.ord = pv.ord),
f2 AS (SELECT *,
        CASE WHEN built THEN vac_floor < 1
             ELSE COALESCE(status, '') IN ('reserved', 'in_use') END AS in_use,
        CASE WHEN issue_date IS NOT NULL THEN 1 ELSE inzone AND serviced END AS issuable,
        CASE WHEN issue_date IS NOT NULL OR NOT inzone THEN 'private' ELSE 'public' END AS owner
    FROM f1)
SELECT ord,
    CASE WHEN built THEN ROUND(ba * $IMPR_UNIT)
         WHEN status = 'in_use' THEN ROUND(area * $YARD_UNIT) ELSE 0 END AS impr_value,
    ROUND(area * $LAND_UNIT) AS land_value,
    in_use,
    CASE WHEN status = 'reserved' THEN 'option'
         WHEN NOT in_use AND (issuable OR status = 'not_issued') THEN 'offered'
         ELSE 'not offered' END AS offer,
    issuable, owner, vac_floor
FROM f2 ORDER BY ord
EOF
}
