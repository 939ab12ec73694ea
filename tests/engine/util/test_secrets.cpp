// Connection strings lose their passwords before they reach a manifest or a snapshot.

#include "../../../engine/src/util/secrets.hpp"

#include <catch2/catch.hpp>

using spaceuse::detail::without_secrets;

TEST_CASE("passwords are left out of connection strings in every libpq form", "[secrets]") {
    CHECK(without_secrets("data/parcels.gpkg:parcels") == "data/parcels.gpkg:parcels");
    CHECK(without_secrets("PG:dbname=gis user=planner password=s3cret host=db") ==
          "PG:dbname=gis user=planner host=db");
    CHECK(without_secrets("PG:dbname=gis password = s3cret user=u") == "PG:dbname=gis user=u");
    CHECK(without_secrets("PG:password='a b\\' c' dbname='my db'") == "PG:dbname='my db'");
    CHECK(without_secrets("PG:host=db sslpassword=k PASSWORD=x port=5432") ==
          "PG:host=db port=5432");
    CHECK(without_secrets("PG:postgresql://planner:s3cret@db:5432/gis") ==
          "PG:postgresql://planner@db:5432/gis");
    CHECK(without_secrets("PG:postgres://planner@db/gis?sslmode=require&password=x") ==
          "PG:postgres://planner@db/gis?sslmode=require");
    CHECK(without_secrets("PG:postgresql://db/gis") == "PG:postgresql://db/gis");
    // Nothing of the secret is left.
    for (const char* s : {"PG:password=s3cret", "PG:password = 's3 cret'",
                          "PG:postgresql://u:s3cret@h/d", "PG:postgresql://h/d?password=s3cret"}) {
        INFO(s);
        CHECK(without_secrets(s).find("s3") == std::string::npos);
    }
}
