// Connection strings lose their passwords before they reach a manifest or a snapshot.

#include "../../../engine/src/util/secrets.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/publish.hpp>

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
    for (const char* s :
         {"PG:password=s3cret", "PG:password = 's3 cret'", "PG:postgresql://u:s3cret@h/d",
          "PG:postgresql://h/d?password=s3cret", "PG:postgresql://u:s3?cret@h/d",
          "PG:postgresql://u:s3?c@h", "PG:postgresql://h/d?pass%77ord=s3cret&sslmode=disable"}) {
        INFO(s);
        CHECK(without_secrets(s).find("s3") == std::string::npos);
    }
}

TEST_CASE("database references: spaceuse's keys are taken out, libpq's kept, no password shown",
          "[secrets][publish]") {
    using spaceuse::parse_database_ref;
    const auto ref = parse_database_ref(
        "PG:host=db dbname=gis user=planner password='a b\\'c' schema='x\"; DROP TABLE y; --' "
        "study='Leuven zones' survey=2024-06-01");
    CHECK(ref.schema == "x\"; DROP TABLE y; --");
    CHECK(ref.study == "Leuven zones");
    CHECK(ref.survey_date == "2024-06-01");
    // libpq's normalised form, password included for connecting.
    CHECK(ref.conninfo.find("password='a b\\'c'") != std::string::npos);
    CHECK(ref.conninfo.find("schema") == std::string::npos);
    CHECK(ref.label().find("a b") == std::string::npos);
    CHECK(ref.label().find("password") == std::string::npos);

    const auto uri = parse_database_ref(
        "PG:postgresql://planner:s3cret@db:5433/gis?sslmode=disable&schema=s2&survey=2021-06-01");
    CHECK(uri.schema == "s2");
    CHECK(uri.survey_date == "2021-06-01");
    CHECK(uri.conninfo.find("port=5433") != std::string::npos);
    CHECK(uri.conninfo.find("sslmode=disable") != std::string::npos);
    CHECK(uri.label().find("s3cret") == std::string::npos);
    CHECK(parse_database_ref("PG:dbname=gis").schema == "spaceuse");

    // The keys added by the commands' --schema/--study/--survey parse back.
    using spaceuse::database_ref_with;
    const auto added = parse_database_ref(
        database_ref_with("PG:dbname=gis", "a'b", "Heverlee", "2024-06-01"));
    CHECK(added.schema == "a'b");
    CHECK(added.study == "Heverlee");
    CHECK(added.survey_date == "2024-06-01");
    const auto added_uri = parse_database_ref(
        database_ref_with("PG:postgresql://db/gis", "s p", "", "2024-06-01"));
    CHECK(added_uri.schema == "s p");
    CHECK(added_uri.survey_date == "2024-06-01");

    CHECK_THROWS_WITH(parse_database_ref("PG:dbname=gis survey=June"),
                      Catch::Contains("survey=June is not a date"));
    CHECK_THROWS_WITH(parse_database_ref("PG:dbname=gis bogus=1"),
                      Catch::Contains("malformed connection string"));
    CHECK_THROWS_WITH(parse_database_ref("PG:dbname='gis"), Catch::Contains("unterminated quote"));
    // Malformed strings do not echo what may be a password.
    for (const char* bad : {"PG:host=db password=my s3cret", "PG:postgresql://u:100%s3cret@h/db",
                            "host=db password=s3cret", "PG:password='s3cret"}) {
        INFO(bad);
        try {
            parse_database_ref(bad);
            FAIL("accepted");
        } catch (const spaceuse::ConfigError& e) {
            CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
        }
    }
    // A password in an error's source is never shown.
    const spaceuse::InputError e = spaceuse::InputError("cannot connect")
                                       .set_source("PG:dbname=gis password=s3cret");
    CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
}
