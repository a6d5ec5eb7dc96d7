using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Xunit;

namespace Tribuo.Gateway.Tests.Storage;

/// <summary>Redis as operators run it: an ACL user, TLS with a self-signed certificate, Sentinel with a failover mid-test.</summary>
public sealed class RedisDeploymentTests
{
    private const string AdminSecret = "tgw_test-redis-admin-secret-0001";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GatewayApp StartGateway(string redis, params (string Key, string Value)[] more)
    {
        var directory = Directory.CreateTempSubdirectory("tgw-redis-keys-").FullName;
        var keysFile = Path.Combine(directory, "keys.json");
        File.WriteAllText(keysFile, $$"""{ "Keys": [ { "Id": "root", "Name": "Root", "Secret": "{{AdminSecret}}", "Scopes": ["*"] } ] }""");
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = redis, ["Gateway:KeysFile"] = keysFile };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""", settings);
    }

    private static HttpClient Client(GatewayApp gateway, string secret)
    {
        var client = gateway.NewClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "KEY " + secret);
        return client;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path = "/gateway/keys/root")
    {
        using var response = await client.GetAsync(path, Ct);
        return response.StatusCode;
    }

    /// <summary>A server whose only enabled user is <c>gateway</c> (password <c>acl-pass-7f3e</c>): the default user is off.</summary>
    private static async Task<RedisServer> StartWithAclUserOnlyAsync()
    {
        var redis = await RedisServer.StartOrSkipAsync();
        Assert.StartsWith("+OK", await redis.CommandAsync("ACL SETUSER gateway on >acl-pass-7f3e ~* &* +@all"));
        Assert.StartsWith("+OK", await redis.CommandAsync("ACL SETUSER default off"));
        return redis;
    }

    [Fact]
    public async Task An_ACL_user_with_a_password_works_and_the_default_user_is_not_needed()
    {
        await using var redis = await StartWithAclUserOnlyAsync();

        await using var gateway = StartGateway($"127.0.0.1:{redis.Port},user=gateway,password=acl-pass-7f3e,abortConnect=false");
        await gateway.KeysFileImportedAsync();

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Client(gateway, AdminSecret)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway.NewClient(), "/readyz"));
        Assert.DoesNotContain(gateway.Logs, line => line.Contains("acl-pass-7f3e"));
    }

    [Fact]
    public async Task A_wrong_ACL_password_is_unready_and_never_a_pass()
    {
        await using var redis = await StartWithAclUserOnlyAsync();

        await using var gateway = StartGateway($"127.0.0.1:{redis.Port},user=gateway,password=wrong-pass,abortConnect=false");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(gateway.NewClient(), "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(Client(gateway, AdminSecret)));
    }

    [Fact]
    public async Task TLS_with_a_self_signed_certificate_the_gateway_is_told_to_trust()
    {
        var directory = Directory.CreateTempSubdirectory("tgw-redis-tls-").FullName;
        var (certificate, key) = WriteSelfSignedCertificate(directory);
        var tlsPort = LoopbackPort.GetFree();
        await using var redis = await RedisServer.StartOrSkipAsync(
            "--tls-port", tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls-cert-file", certificate, "--tls-key-file", key, "--tls-ca-cert-file", certificate, "--tls-auth-clients", "no");

        await using var trusting = StartGateway($"127.0.0.1:{tlsPort},ssl=true,abortConnect=false", ("Gateway:Redis:TrustedCertificate", certificate));
        await trusting.KeysFileImportedAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Client(trusting, AdminSecret)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(trusting.NewClient(), "/readyz"));

        // Without being told, the same certificate is refused: TLS is verified, not merely switched on.
        await using var doubting = StartGateway($"127.0.0.1:{tlsPort},ssl=true,abortConnect=false");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(doubting.NewClient(), "/readyz"));
    }

    [Fact]
    public async Task Sentinel_failover_keeps_keys_and_revocations_working_on_every_instance()
    {
        await using var cluster = await RedisSentinelCluster.StartOrSkipAsync();
        await using var first = StartGateway(cluster.ConnectionString);
        await using var second = StartGateway(cluster.ConnectionString);
        await first.KeysFileImportedAsync();
        await second.KeysFileImportedAsync();

        using var admin = Client(first, AdminSecret);
        var kept = await CreateAdminKeyAsync(admin, "kept");
        var doomed = await CreateAdminKeyAsync(admin, "doomed");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Client(second, kept)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Client(second, doomed)));
        await cluster.WaitForReplicationAsync();

        await cluster.FailOverAsync();

        // Within a few seconds both instances serve from the promoted replica; meanwhile only 200 or 503, never a refusal.
        foreach (var gateway in new[] { first, second })
        {
            await UntilAsync(async () =>
            {
                var status = await StatusAsync(Client(gateway, kept));
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"a valid key got {status} during the failover");
                return status == HttpStatusCode.OK;
            }, "the valid key to work after the failover");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Client(second, "tgw_never-issued-key-0000000000000")));

        // A revocation published after the failover reaches every instance.
        await UntilAsync(async () => (await admin.DeleteAsync("/gateway/keys/doomed", Ct)).StatusCode == HttpStatusCode.NoContent, "the revocation to be stored");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Client(first, doomed)));
        await UntilAsync(async () => await StatusAsync(Client(second, doomed)) == HttpStatusCode.Unauthorized, "the other instance to refuse the revoked key", TimeSpan.FromSeconds(3));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Client(second, kept)));
    }

    private static async Task<string> CreateAdminKeyAsync(HttpClient admin, string id)
    {
        using var created = await admin.PostAsJsonAsync("/gateway/keys", new { id, name = id, scopes = new[] { "gateway:admin" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("secret").GetString()!;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting for {what}");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, written as PEM files the way openssl would.</summary>
    private static (string Certificate, string Key) WriteSelfSignedCertificate(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=tribuo-test-redis", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var certificatePath = Path.Combine(directory, "redis.crt");
        var keyPath = Path.Combine(directory, "redis.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
