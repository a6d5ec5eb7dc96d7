using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Routes;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Routes;

/// <summary>
/// DESIGN §3 "Fail closed": typos, names given twice, routes that match the same requests and destinations
/// that are not URLs are errors, all reported in one run, in <c>routes check</c>, at start and on reload.
/// </summary>
public sealed class FailClosedRoutesTests : IDisposable
{
    private const string Cluster = """ "Clusters": { "api": { "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } """;

    private readonly ServiceProvider _services = RoutesLoader.CreateStandalone();
    private readonly string _directory = Directory.CreateTempSubdirectory("tgw-failclosed-").FullName;

    private static string Doc(string routes, string? clusters = null) => $$"""{ "Routes": { {{routes}} }, {{clusters ?? Cluster}} }""";

    private static string Route(string id, string path, string metadata = """ "Auth": "key" """) =>
        $$""" "{{id}}": { "ClusterId": "api", "Match": { "Path": "{{path}}" }, "Metadata": { {{metadata}} } } """;

    private static string Transforms(string transforms, string path = "/t") =>
        Doc($$""" "r1": { "ClusterId": "api", "Match": { "Path": "{{path}}" }, "Metadata": { "Auth": "key" }, "Transforms": [ {{transforms}} ] } """);

    private static string Address(string address) => $$""" "Clusters": { "api": { "Destinations": { "a": { "Address": "{{address}}" } } } } """;

    /// <summary>
    /// The rows, each named by its number and what it expects: named by their arguments, rows whose documents begin
    /// alike were shown under one truncated name, and the runner reported 668 or 669 results from one run to the next.
    /// </summary>
    public static IEnumerable<TheoryDataRow<string, string, string, string>> InvalidDocuments => Documents.Select((row, index) =>
    {
        var data = ((ITheoryDataRow)row).GetData().Cast<string>().ToArray();
        var expects = data[1].Length == 0 ? "control" : $"{data[1]} {data[2]} {data[3]}";
        return new TheoryDataRow<string, string, string, string>(data[0], data[1], data[2], data[3])
        {
            TestDisplayName = $"{nameof(Each_rule_is_an_error_naming_the_route_or_cluster_and_the_field)} #{index:00}: {expects}",
        };
    });

    private static TheoryData<string, string, string, string> Documents => new()
    {
        { Doc(Route("r1", "/x", """ "Auth": "user", "Companie": "acme" """)), "route 'r1'", "Metadata.Companie", "not a gateway setting" },
        { Doc(Route("r1", "/x", """ "Auth": "key", "Scope": "admin" """)), "route 'r1'", "Metadata.Scope", "not a gateway setting" },
        { Doc(Route("r1", "/x", """ "Auth": "user", "Role": "admin" """)), "route 'r1'", "Metadata.Role", "not a gateway setting" },
        { Doc(Route("r1", "/x", """ "Auth": "public", "auth": "key" """)), "route 'r1'", "Metadata.auth", "given twice" },
        { Doc(Route("r1", "/x", """ "Auth": "public", "Auth": "key" """)), "route 'r1'", "Metadata.Auth", "given twice" },
        { Doc(Route("r1", "/x") + "," + Route("r1", "/y")), "route 'r1'", "(id)", "given twice" },
        { Doc(Route("r1", "/x") + "," + Route("R1", "/y")), "route 'R1'", "(id)", "given twice" },
        { Doc(Route("r1", "/x")) + "" , "", "", "" },
        { Doc(Route("r1", "/same/{**rest}") + "," + Route("r2", "/same/{**other}")), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(Route("r1", "/item/{id}") + "," + Route("r2", "/ITEM/{x}/")), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(Route("r1", "/x"), Address("127.0.0.1:5001")), "cluster 'api'", "Destinations.a.Address", "not an absolute http(s) URL" },
        { Doc(Route("r1", "/x"), Address("ftp://127.0.0.1/")), "cluster 'api'", "Destinations.a.Address", "not an absolute http(s) URL" },
        { Doc(Route("r1", "/x"), Address("/relative")), "cluster 'api'", "Destinations.a.Address", "not an absolute http(s) URL" },
        { Doc(Route("r1", "/x"), """ "Clusters": { "api": { "Destinations": { "a": { "Adress": "http://127.0.0.1:9/" } } } } """), "cluster 'api'", "Destinations.a.Adress", "not a known field" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Pth": "/x" } } """), "route 'r1'", "Match.Pth", "not a known field" },
        // A null where a value is needed is an error naming it, never a crash (an outside review: exit 134 with a stack trace).
        { Doc(Route("r1", "/x", """ "Auth": null """)), "route 'r1'", "Metadata.Auth", "is null" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/x", "Hosts": [ null ] } } """), "route 'r1'", "Match.Hosts[0]", "is null" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/x", "Methods": [ null ] } } """), "route 'r1'", "Match.Methods[0]", "is null" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/x", "Headers": [ { "Values": [ "x" ] } ] } } """), "route 'r1'", "(YARP)", "" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/x", "QueryParameters": [ null ] } } """), "route 'r1'", "Match.QueryParameters[0]", "is null" },
        { Doc(Route("r1", "/x"), """ "Clusters": { "api": { "Destinations": { "a": null } } } """), "cluster 'api'", "Destinations.a", "is null" },
        { Doc(Route("r1", "/x") + """, "r2": null """), "route 'r2'", "(id)", "is null" },
        // Transforms may not write what the gateway alone asserts or removes (an outside review: the client chose its X-Tribuo-User-Id).
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/t/{id}" }, "Metadata": { "Auth": "public" }, "Transforms": [ { "RequestHeaderRouteValue": "X-Tribuo-User-Id", "Set": "id" } ] } """), "route 'r1'", "Transforms[0].RequestHeaderRouteValue", "gateway alone" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/t" }, "Metadata": { "Auth": "key" }, "Transforms": [ { "PathPrefix": "/v1" }, { "RequestHeader": "x_tribuo_key_scopes", "Append": "*" } ] } """), "route 'r1'", "Transforms[1].RequestHeader", "gateway alone" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/t" }, "Metadata": { "Auth": "key" }, "Transforms": [ { "RequestHeader": "X-Real-IP", "Set": "1.2.3.4" } ] } """), "route 'r1'", "Transforms[0].RequestHeader", "gateway alone" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/t" }, "Metadata": { "Auth": "key" }, "Transforms": [ { "RequestHeader": "Cookie", "Append": "tribuo_cloud_token=x" } ] } """), "route 'r1'", "Transforms[0].RequestHeader", "gateway alone" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/t/{x}" }, "Metadata": { "Auth": "key" }, "Transforms": [ { "QueryRouteParameter": "Token", "Append": "x" } ] } """), "route 'r1'", "Transforms[0].QueryRouteParameter", "never reaches" },
        // An id written inside an entry says the same as its key, or it is an error (it was silently overridden).
        { Doc(""" "r1": { "RouteId": "other", "ClusterId": "api", "Match": { "Path": "/x" } } """), "route 'r1'", "RouteId", "differs" },
        { Doc(Route("r1", "/x"), """ "Clusters": { "api": { "ClusterId": "apx", "Destinations": { "a": { "Address": "http://127.0.0.1:9/" } } } } """), "cluster 'api'", "ClusterId", "differs" },
        // Spellings of one match that routing treats alike are the same route (each pair answered every request with a 500).
        { Doc(Route("r1", "a1") + "," + Route("r2", "/a1")), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(Route("r1", "~/a2") + "," + Route("r2", "/a2")), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Hosts": [ "h3.test" ] } }, "r2": { "ClusterId": "api", "Match": { "Hosts": [ "h3.test" ], "Path": "/{**rest}" } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a4", "Hosts": [ "h4.test", "H4.test" ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a4", "Hosts": [ "h4.test" ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a5", "Headers": [ { "Name": "X", "Values": [ "a" ] } ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a5", "Headers": [ { "Name": "X", "Values": [ "A" ] } ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a6", "Methods": [ "GET" ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a6", "Methods": [ "HEAD", "GET" ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        // More spellings routing treats alike (an outside review: each pair passed, then gave a 500 or shadowed one route).
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a7", "Hosts": [ "h7.test" ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a7", "Hosts": [ "h7.test:*" ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a8", "Hosts": [ "h8.test:80" ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a8", "Hosts": [ "h8.test:080" ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a9" } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a9", "Hosts": [ "*" ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a10", "Hosts": [ "*.h10.test" ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a10", "Hosts": [ "*.H10.test:*" ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(Route("r1", "/a11/{id}") + "," + Route("r2", "/a11/{x:required}")), "route 'r2'", "Match", "same requests as route 'r1'" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/a12", "Headers": [ { "Name": "X", "Values": [ "a" ] } ] } }, "r2": { "ClusterId": "api", "Match": { "Path": "/a12", "Headers": [ { "Name": "X", "Values": [ "a" ] }, { "Name": "x", "Values": [ "a" ] } ] } } """), "route 'r2'", "Match", "same requests as route 'r1'" },
        // An Order below the gateway's own endpoints was raised to their floor, silently: two routes' precedence turned around.
        { Doc(""" "r1": { "ClusterId": "api", "Order": -2000000, "Match": { "Path": "/o/{x}" }, "Metadata": { "Auth": "public" } } """), "route 'r1'", "Order", "lowest order" },
        // A route may not match on what the gateway removes after routing: the client chose the route.
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/m", "Headers": [ { "Name": "X-Tribuo-User-Role", "Values": [ "admin" ] } ] }, "Metadata": { "Auth": "public" } } """), "route 'r1'", "Match.Headers[0].Name", "may not match" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/m", "Headers": [ { "Name": "Accept", "Values": [ "x" ] }, { "Name": "x_forwarded_for", "Values": [ "10.0.0.1" ] } ] } } """), "route 'r1'", "Match.Headers[1].Name", "may not match" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/m", "Headers": [ { "Name": "X-Original-URL", "Mode": "Exists" } ] } } """), "route 'r1'", "Match.Headers[0].Name", "may not match" },
        { Doc(""" "r1": { "ClusterId": "api", "Match": { "Path": "/m", "QueryParameters": [ { "Name": "token", "Mode": "Exists" } ] } } """), "route 'r1'", "Match.QueryParameters[0].Name", "may not match" },
        { Transforms("""{ "QueryValueParameter": "token[]", "Set": "abc" }"""), "route 'r1'", "Transforms[0].QueryValueParameter", "never reaches" },
        // Every transform that names or generates a request header, not only RequestHeader (an outside review: X-Forwarded's
        // HeaderPrefix "X-Tribuo-" sent X-Tribuo-For and a client-chosen X-Tribuo-Host upstream).
        { Transforms("""{ "X-Forwarded": "Set", "HeaderPrefix": "X-Tribuo-" }"""), "route 'r1'", "Transforms[0].HeaderPrefix", "gateway alone" },
        { Transforms("""{ "X-Forwarded": "Append", "HeaderPrefix": "X-Tribuo-User-" }"""), "route 'r1'", "Transforms[0].HeaderPrefix", "gateway alone" },
        { Transforms("""{ "PathPrefix": "/v1" }, { "X-Forwarded": "Set", "HeaderPrefix": "x_tribuo_" }"""), "route 'r1'", "Transforms[1].HeaderPrefix", "gateway alone" },
        { Transforms("""{ "X-Forwarded": "Set", "HeaderPrefix": "X-" }"""), "route 'r1'", "Transforms[0].HeaderPrefix", "'X-Host'" },
        { Transforms("""{ "X-Forwarded": "Set", "HeaderPrefix": "X_Forwarded_" }"""), "route 'r1'", "Transforms[0].HeaderPrefix", "gateway alone" },
        { Transforms("""{ "ClientCert": "X-Tribuo-User-Id" }"""), "route 'r1'", "Transforms[0].ClientCert", "gateway alone" },
        { Transforms("""{ "ClientCert": "X-Forwarded-For" }"""), "route 'r1'", "Transforms[0].ClientCert", "gateway alone" },
        { Transforms("""{ "RequestHeadersAllowed": "Accept;X-Tribuo-User-Id" }"""), "route 'r1'", "Transforms[0].RequestHeadersAllowed", "'X-Tribuo-User-Id'" },
        { Transforms("""{ "PathPrefix": "/v1" }, { "RequestHeadersAllowed": "Accept; X-Real-IP" }"""), "route 'r1'", "Transforms[1].RequestHeadersAllowed", "gateway alone" },
        // A header name that is not an RFC 9110 token (an outside review: "X-Real-IP " passed the checks, then every
        // request on the route was a 502 with a FormatException in the log).
        { Transforms("""{ "RequestHeader": "X-Real-IP ", "Set": "9.9.9.9" }"""), "route 'r1'", "Transforms[0].RequestHeader", "not a valid header name" },
        { Transforms("""{ "RequestHeaderRouteValue": "X-Real-IP ", "Set": "id" }""", "/t/{id}"), "route 'r1'", "Transforms[0].RequestHeaderRouteValue", "not a valid header name" },
        { Transforms("""{ "RequestHeader": "X-Api Version", "Set": "2" }"""), "route 'r1'", "Transforms[0].RequestHeader", "not a valid header name" },
        { Transforms("""{ "RequestHeader": "X-Api:Version", "Set": "2" }"""), "route 'r1'", "Transforms[0].RequestHeader", "not a valid header name" },
        { Transforms("""{ "RequestHeader": "", "Set": "2" }"""), "route 'r1'", "Transforms[0].RequestHeader", "not a valid header name" },
        { Transforms("""{ "RequestHeader": "X-Api-\u0001", "Set": "2" }"""), "route 'r1'", "Transforms[0].RequestHeader", "not a valid header name" },
        { Transforms("""{ "RequestHeader": "X-Écho", "Set": "2" }"""), "route 'r1'", "Transforms[0].RequestHeader", "not a valid header name" },
        { Transforms("""{ "RequestHeaderRemove": "X-Debug " }"""), "route 'r1'", "Transforms[0].RequestHeaderRemove", "not a valid header name" },
        { Transforms("""{ "ClientCert": "X-Client Cert" }"""), "route 'r1'", "Transforms[0].ClientCert", "not a valid header name" },
        { Transforms("""{ "RequestHeadersAllowed": "Accept;X-A B" }"""), "route 'r1'", "Transforms[0].RequestHeadersAllowed", "'X-A B' is not a valid header name" },
        { Transforms("""{ "X-Forwarded": "Set", "HeaderPrefix": "X Fwd-" }"""), "route 'r1'", "Transforms[0].HeaderPrefix", "not a valid header name" },
        { Transforms("""{ "ResponseHeader": "X-Served-By ", "Set": "gw" }"""), "route 'r1'", "Transforms[0].ResponseHeader", "not a valid header name" },
        { Transforms("""{ "ResponseTrailer": "X-T(1)", "Append": "x" }"""), "route 'r1'", "Transforms[0].ResponseTrailer", "not a valid header name" },
        { Transforms("""{ "ResponseHeaderRemove": "Server ", "When": "Always" }"""), "route 'r1'", "Transforms[0].ResponseHeaderRemove", "not a valid header name" },
        { Transforms("""{ "ResponseTrailerRemove": "X/Internal" }"""), "route 'r1'", "Transforms[0].ResponseTrailerRemove", "not a valid header name" },
        { Transforms("""{ "ResponseHeadersAllowed": "Content-Type;X A" }"""), "route 'r1'", "Transforms[0].ResponseHeadersAllowed", "not a valid header name" },
        { Transforms("""{ "ResponseTrailersAllowed": "grpc-status;grpc message" }"""), "route 'r1'", "Transforms[0].ResponseTrailersAllowed", "not a valid header name" },
        // YARP's fields naming an ASP.NET Core policy, whose middleware the gateway does not run: "RateLimiterPolicy": "default"
        // limited nothing; "AuthorizationPolicy": "default", a CorsPolicy or a Timeout turned every request on the route into a 500.
        { Policy(""" "AuthorizationPolicy": "anonymous" """), "route 'r1'", "AuthorizationPolicy", "Metadata.Auth" },
        { Policy(""" "AuthorizationPolicy": "default" """), "route 'r1'", "AuthorizationPolicy", "does not apply" },
        { Policy(""" "CorsPolicy": "disable" """), "route 'r1'", "CorsPolicy", "preflights" },
        { Policy(""" "RateLimiterPolicy": "default" """), "route 'r1'", "RateLimiterPolicy", "Metadata.RateLimit" },
        { Policy(""" "OutputCachePolicy": "short" """), "route 'r1'", "OutputCachePolicy", "does not cache" },
        { Policy(""" "TimeoutPolicy": "slow" """), "route 'r1'", "TimeoutPolicy", "ActivityTimeout" },
        { Policy(""" "Timeout": "00:00:05" """), "route 'r1'", "Timeout", "ActivityTimeout" },
    };

    private static string Policy(string field) =>
        Doc($$""" "r1": { "ClusterId": "api", "Match": { "Path": "/p" }, "Metadata": { "Auth": "key" }, {{field}} } """);

    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public async Task Each_rule_is_an_error_naming_the_route_or_cluster_and_the_field(string json, string subject, string field, string phrase)
    {
        if (subject.Length == 0)
        {
            // The control: the same document without the mistake is valid.
            Assert.Empty((await LoadAsync(json)).Errors);
            return;
        }

        var result = await LoadAsync(json);

        Assert.Null(result.Snapshot);
        Assert.True(result.Errors.Any(e => e.Subject == subject && e.Field == field && e.Message.Contains(phrase, StringComparison.Ordinal)),
            string.Join(Environment.NewLine, result.Errors));
    }

    [Fact]
    public async Task Operator_annotations_rate_limits_and_different_orders_or_methods_are_fine()
    {
        var json = Doc(string.Join(",",
            Route("r1", "/x/{**rest}", """ "Auth": "key", "Scopes": "a", "x-owner": "team-a", "X-Ticket": "OPS-1", "RateLimit": "10/1s" """),
            """ "r2": { "ClusterId": "api", "Order": 5, "Match": { "Path": "/x/{**rest}" }, "Metadata": { "Auth": "key" } } """,
            """ "r3": { "ClusterId": "api", "Match": { "Path": "/x/{**rest}", "Methods": [ "POST" ] }, "Metadata": { "Auth": "key" } } """,
            """ "r4": { "ClusterId": "api", "Match": { "Path": "/x/{**rest}", "Hosts": [ "a.example" ] }, "Metadata": { "Auth": "key" } } """,
            """ "r5": { "ClusterId": "api", "Match": { "Path": "/y" }, "Metadata": { "Auth": "key" }, "Transforms": [ { "RequestHeader": "Authorization", "Set": "Bearer service" }, { "RequestHeader": "X-Api-Version", "Set": "2" } ] } """,
            """ "r6": { "ClusterId": "api", "Order": -999998, "Match": { "Path": "/x/{**rest}", "Hosts": [ "a.example:8080" ], "Headers": [ { "Name": "X-Api-Version", "Values": [ "2" ] } ], "QueryParameters": [ { "Name": "page", "Mode": "Exists" } ] }, "Metadata": { "Auth": "key" } } """));

        var result = await LoadAsync(json);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public async Task Header_transforms_with_valid_names_the_gateway_does_not_own_are_fine()
    {
        var json = Doc(string.Join(",",
            """ "c1": { "ClusterId": "api", "Match": { "Path": "/c1" }, "Transforms": [ { "X-Forwarded": "Set", "HeaderPrefix": "X-Forwarded-" } ] } """,
            """ "c2": { "ClusterId": "api", "Match": { "Path": "/c2" }, "Transforms": [ { "X-Forwarded": "Append", "HeaderPrefix": "X-Upstream-" } ] } """,
            """ "c3": { "ClusterId": "api", "Match": { "Path": "/c3" }, "Transforms": [ { "Forwarded": "for,proto" }, { "ClientCert": "X-Client-Cert" } ] } """,
            """ "c4": { "ClusterId": "api", "Match": { "Path": "/c4/{id}" }, "Transforms": [ { "RequestHeadersAllowed": "Accept; Cookie;X-Request-Id" }, { "RequestHeaderRemove": "X-Debug" } ] } """,
            """ "c5": { "ClusterId": "api", "Match": { "Path": "/c5/{id}" }, "Transforms": [ { "RequestHeader": "X-!#$%&'*+.^_`|~1", "Set": "2" }, { "RequestHeaderRouteValue": "X-Item", "Set": "id" } ] } """,
            """ "c6": { "ClusterId": "api", "Match": { "Path": "/c6" }, "Transforms": [ { "ResponseHeader": "X-Served-By", "Set": "gw", "When": "Always" }, { "ResponseTrailer": "X-Trailer", "Append": "1" } ] } """,
            """ "c7": { "ClusterId": "api", "Match": { "Path": "/c7" }, "Transforms": [ { "ResponseHeaderRemove": "Server" }, { "ResponseTrailerRemove": "X-Internal" } ] } """,
            """ "c8": { "ClusterId": "api", "Match": { "Path": "/c8" }, "Transforms": [ { "ResponseHeadersAllowed": "Content-Type;X-Request-Id" }, { "ResponseTrailersAllowed": "grpc-status" } ] } """));

        var result = await LoadAsync(json);

        Assert.Empty(result.Errors);
    }

    /// <summary>An outside review: "Order": "x" hid the same route's four other errors until the next run.</summary>
    [Fact]
    public async Task A_value_of_the_wrong_type_does_not_hide_the_other_errors_of_its_route()
    {
        var json = Doc(""" "r2": { "ClusterId": "nope", "Order": "x", "Match": { "Path": "/login", "Hosts": [ 5 ] }, "Metadata": { "Auth": "pub", "Companie": "tribuo" } } """);

        var result = await LoadAsync(json);

        var fields = result.Errors.Where(e => e.Subject == "route 'r2'").Select(e => e.Field).ToArray();
        Assert.True(new[] { "Order", "Match.Hosts.0", "ClusterId", "Match.Path", "Metadata.Auth", "Metadata.Companie" }.All(fields.Contains),
            string.Join(Environment.NewLine, result.Errors));
    }

    [Fact]
    public async Task Every_error_of_a_file_is_reported_in_one_run_nested_typos_included()
    {
        var json = """
        {
          "Routes": {
            "a": { "ClusterId": "api", "Match": { "Pth": "/a" }, "Metadata": { "Auth": "user", "Companie": "acme" } },
            "b": { "ClusterId": "api", "Match": { "Path": "/b", "Metods": [ "GET" ] }, "Metdata": { } },
            "c": { "ClusterId": "api", "Match": { "Path": "/c" }, "Order": "first" },
            "d": { "ClusterId": "api", "Match": { "Path": "/b" } }
          },
          "Clusters": {
            "api": { "Destinations": { "one": { "Adress": "http://127.0.0.1:9/" }, "two": { "Address": "localhost:9" } } }
          }
        }
        """;

        var result = await LoadAsync(json);

        var expected = new[]
        {
            ("route 'a'", "Match.Pth"), ("route 'a'", "Metadata.Companie"), ("route 'b'", "Match.Metods"), ("route 'b'", "Metdata"),
            ("route 'c'", "Order"), ("route 'd'", "Match"), ("cluster 'api'", "Destinations.one.Adress"), ("cluster 'api'", "Destinations.two.Address"),
        };
        foreach (var (subject, field) in expected)
        {
            Assert.True(result.Errors.Any(e => e.Subject == subject && e.Field == field), $"{subject} {field} missing from:{Environment.NewLine}{string.Join(Environment.NewLine, result.Errors)}");
        }
    }

    [Fact]
    public async Task Routes_check_and_the_server_refuse_a_duplicate_route_id_without_a_stack_trace()
    {
        var bad = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(bad, Doc(Route("r1", "/x", """ "Auth": "public", "auth": "key" """) + "," + Route("r1", "/y")), TestContext.Current.CancellationToken);

        var check = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60), "routes", "check", bad);
        var start = await GatewayProcess.RunAsync(TimeSpan.FromSeconds(60),
            $"--Gateway:RoutesFile={bad}", $"--Gateway:DataDir={Path.Combine(_directory, "data")}", "--urls=http://127.0.0.1:0");

        Assert.Equal(1, check.ExitCode);
        Assert.Contains("route 'r1': (id): 'r1' is given twice", check.Error);
        Assert.Contains("route 'r1': Metadata.auth", check.Error);
        Assert.DoesNotContain("   at ", check.Error);
        Assert.NotEqual(0, start.ExitCode);
        Assert.Contains("route 'r1': (id): 'r1' is given twice", start.Error);
        Assert.DoesNotContain("   at ", start.Error);
    }

    [Fact]
    public async Task A_reload_with_a_metadata_typo_is_rejected_and_the_previous_rules_keep_serving()
    {
        var token = TestContext.Current.CancellationToken;
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = GatewayApp.Start(RoutesJson.With(upstream.Address, RoutesJson.Route("staff", "/staff/{**rest}", "key", "\"Scopes\": \"staff\"")));
        using var client = gateway.NewClient();
        var routes = gateway.Services.GetRequiredService<RoutesFileConfigProvider>();

        gateway.WriteRoutes(RoutesJson.With(upstream.Address,
            RoutesJson.Route("staff", "/staff/{**rest}", "public", "\"Companie\": \"acme\""),
            RoutesJson.Route("twin", "/staff/{**other}", "public")));
        await RejectedAsync(routes, token);

        Assert.Contains("route 'staff': Metadata.Companie", routes.Status.LastError);
        Assert.Contains("route 'twin': Match", routes.Status.LastError);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/staff/x", token)).StatusCode);
    }

    /// <summary>
    /// An outside review, on a running gateway: X-Forwarded's HeaderPrefix "X-Tribuo-" was accepted on reload and sent
    /// X-Tribuo-For/-Host/-Proto upstream; "X-Real-IP " was accepted and every request on its route became a 502.
    /// </summary>
    [Fact]
    public async Task A_reload_with_a_gateway_header_prefix_or_an_invalid_header_name_is_rejected_and_the_route_keeps_working()
    {
        var token = TestContext.Current.CancellationToken;
        await using var upstream = await EchoUpstream.StartAsync(cancellationToken: token);
        await using var gateway = GatewayApp.Start(RoutesJson.With(upstream.Address, RoutesJson.Route("open", "/open", "public")));
        using var client = gateway.NewClient();
        var routes = gateway.Services.GetRequiredService<RoutesFileConfigProvider>();

        gateway.WriteRoutes(RoutesJson.With(upstream.Address,
            ("open", """{ "ClusterId": "up", "Match": { "Path": "/open" }, "Metadata": { "Auth": "public" }, "Transforms": [ { "X-Forwarded": "Set", "HeaderPrefix": "X-Tribuo-" } ] }"""),
            ("real", """{ "ClusterId": "up", "Match": { "Path": "/real" }, "Metadata": { "Auth": "public" }, "Transforms": [ { "RequestHeader": "X-Real-IP ", "Set": "9.9.9.9" } ] }""")));
        await RejectedAsync(routes, token);

        Assert.Contains("route 'open': Transforms[0].HeaderPrefix", routes.Status.LastError);
        Assert.Contains("route 'real': Transforms[0].RequestHeader: 'X-Real-IP ' is not a valid header name", routes.Status.LastError);
        using var response = await client.GetAsync("/open", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(upstream.Received[^1].Headers.Keys, name => name.StartsWith("X-Tribuo-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/real", token)).StatusCode);
    }

    private async Task<RoutesLoadResult> LoadAsync(string json)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("n") + ".json");
        await File.WriteAllTextAsync(path, json);
        return await _services.GetRequiredService<RoutesLoader>().LoadAsync(path);
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Waits (10 s at most) for the gateway to reject the routes file just written.</summary>
    private static async Task RejectedAsync(RoutesFileConfigProvider routes, CancellationToken token)
    {
        var watch = Stopwatch.StartNew();
        while (routes.Status.LastError is null)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the invalid file was accepted or not noticed");
            await Task.Delay(25, token);
        }
    }
}
