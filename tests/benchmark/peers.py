#!/usr/bin/python3
"""Python peers of the benchmark, each run as its own process so its time and peak RSS are its
own (run by bench.py):

    peers.py geopandas-occupancy REGION.gpkg OUTDIR
    peers.py networkx-access REGION.gpkg OUTDIR

Each prints `elapsed_s=<seconds>` for the timed part (import, read, compute, write the
GeoJSON outputs) and then writes OUTDIR/check.csv (parcel_id and the figures bench.py compares),
outside the timed part.
"""

import sys
import time

T0 = time.perf_counter()

import warnings  # noqa: E402

warnings.filterwarnings("ignore")


def geopandas_occupancy(src, out):
    """What a planner writes with GeoPandas: repair, overlay, dissolve, largest zone, export."""
    import geopandas as gpd
    import pandas as pd

    zones = gpd.read_file(src, layer="zones")
    parcels = gpd.read_file(src, layer="parcels")
    buildings = gpd.read_file(src, layer="buildings")
    parcels["geometry"] = parcels.geometry.make_valid()
    parcels["area_m2"] = parcels.area

    # Built area: buildings cut by parcels, unioned per parcel (overlapping buildings once).
    pieces = gpd.overlay(buildings[["geometry"]], parcels[["parcel_id", "geometry"]],
                         how="intersection", keep_geom_type=True)
    built = pieces.dissolve(by="parcel_id").area
    parcels["built_m2"] = parcels["parcel_id"].map(built).fillna(0.0)
    parcels["coverage"] = parcels["built_m2"] / parcels["area_m2"]
    parcels["n_buildings"] = parcels["parcel_id"].map(
        pieces.groupby("parcel_id").size()).fillna(0).astype(int)

    # Zone of the largest part, and per zone the clipped net area.
    pz = gpd.overlay(parcels[["parcel_id", "geometry"]], zones[["zone_id", "geometry"]],
                     how="intersection", keep_geom_type=True)
    pz["part_m2"] = pz.area
    best = pz.loc[pz.groupby("parcel_id")["part_m2"].idxmax()].set_index("parcel_id")
    parcels["zone_id"] = parcels["parcel_id"].map(best["zone_id"])
    parcels["zone_share"] = parcels["parcel_id"].map(best["part_m2"]) / parcels["area_m2"]

    agg = pd.DataFrame({
        "net_m2": pz.groupby("zone_id")["part_m2"].sum(),
        "n_parcels": parcels.groupby("zone_id").size(),
        "built_m2": parcels.groupby("zone_id")["built_m2"].sum(),
    })
    zones = zones.merge(agg, left_on="zone_id", right_index=True, how="left")
    zones["gross_m2"] = zones.area
    zones["infra_m2"] = zones["gross_m2"] - zones["net_m2"]
    zones["coverage"] = zones["built_m2"] / zones["net_m2"]

    parcels.to_crs(4326).to_file(out + "/parcels.geojson", driver="GeoJSON")
    zones.to_crs(4326).to_file(out + "/zones.geojson", driver="GeoJSON")
    zones.drop(columns="geometry").to_csv(out + "/summary.csv", index=False)
    print("elapsed_s=%.3f" % (time.perf_counter() - T0), flush=True)
    parcels[["parcel_id", "built_m2", "area_m2", "zone_id"]].to_csv(out + "/check.csv",
                                                                     index=False)


def networkx_access(src, out):
    """Nearest facility per kind by network distance: one multi-source Dijkstra per kind on the
    reversed graph (origin -> facility with one-way streets), origins and facilities snapped to
    the nearest graph node."""
    import geopandas as gpd
    import networkx as nx
    import numpy as np
    from scipy.spatial import cKDTree

    roads = gpd.read_file(src, layer="roads")
    facilities = gpd.read_file(src, layer="facilities")
    parcels = gpd.read_file(src, layer="parcels")

    g = nx.DiGraph()
    for geom, oneway in zip(roads.geometry, roads["oneway"]):
        coords = list(geom.coords)
        for a, b in zip(coords, coords[1:]):
            length = ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5
            # reversed graph: an edge a -> b is stored b -> a
            g.add_edge(b, a, length=length)
            if oneway not in ("yes", "true", "1"):
                g.add_edge(a, b, length=length)
    nodes = list(g.nodes)
    tree = cKDTree(np.array(nodes))

    cent = parcels.geometry.centroid
    o_xy = np.column_stack([cent.x.values, cent.y.values])
    o_snap, o_idx = tree.query(o_xy)
    f_xy = np.column_stack([facilities.geometry.x.values, facilities.geometry.y.values])
    f_snap, f_idx = tree.query(f_xy)

    result = {"parcel_id": parcels["parcel_id"].values}
    for kind in sorted(facilities["kind"].unique()):
        sel = np.flatnonzero(facilities["kind"].values == kind)
        # Each source starts at its facility's connector length.
        best = {}
        for i in sel:
            n = nodes[f_idx[i]]
            best[n] = min(best.get(n, float("inf")), f_snap[i])
        # Sources start at their connector lengths: one Dijkstra from a virtual source.
        g.add_node("_src")
        for n, s in best.items():
            g.add_edge("_src", n, length=s)
        dist = nx.single_source_dijkstra_path_length(g, "_src", weight="length")
        g.remove_node("_src")
        result[kind + "_dist_m"] = [dist.get(nodes[j], np.nan) + s
                                    for j, s in zip(o_idx, o_snap)]
    table = parcels[["parcel_id", "geometry"]].copy()
    for k, v in result.items():
        table[k] = v
    table.to_crs(4326).to_file(out + "/access.geojson", driver="GeoJSON")
    print("elapsed_s=%.3f" % (time.perf_counter() - T0), flush=True)
    table.drop(columns="geometry").to_csv(out + "/check.csv", index=False)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    what, src, out = sys.argv[1:]
    {"geopandas-occupancy": geopandas_occupancy, "networkx-access": networkx_access}[what](src, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
