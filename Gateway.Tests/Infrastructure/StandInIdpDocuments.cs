using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Tribuo.Gateway.Tests.Infrastructure;

/// <summary>What every in-process OpenID Connect stand-in does the same way: its server, its discovery document and its JWKS.</summary>
internal static class StandInIdpDocuments
{
    /// <summary>A bare application on a free loopback port, to map the stand-in's endpoints on.</summary>
    public static WebApplication NewApp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        return builder.Build();
    }

    /// <summary>Starts <paramref name="app"/> and returns its address.</summary>
    public static async Task<string> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>A discovery document for <paramref name="issuer"/> whose endpoints are <c>issuer + path</c>.</summary>
    public static IResult Discovery(string issuer, string authorize, string token, string userinfo, string jwks, string[] algorithms, string[]? scopes = null)
    {
        var document = new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["authorization_endpoint"] = issuer + authorize,
            ["token_endpoint"] = issuer + token,
            ["userinfo_endpoint"] = issuer + userinfo,
            ["jwks_uri"] = issuer + jwks,
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = algorithms,
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post" },
        };
        if (scopes is not null)
        {
            document["scopes_supported"] = scopes;
        }

        return Results.Json(document);
    }

    /// <summary>The JWKS holding <paramref name="key"/>'s public half.</summary>
    public static IResult Jwks(RsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(key);
        return Results.Json(new { keys = new[] { new { kty = "RSA", kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
    }
}
