using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Tokens;

/// <summary>A signing key as stored: the P-256 private key (PKCS#8 PEM) and its <c>kid</c>.</summary>
internal sealed record SigningKeyRecord(string Kid, string Algorithm, string PrivateKeyPem, DateTimeOffset CreatedAt);

/// <summary>Signing keys live with users (PostgreSQL or the embedded store), so every instance signs and verifies alike.</summary>
internal interface ISigningKeyStore
{
    Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default);
}

/// <summary>
/// The gateway's ES256 keys: the newest signs, all of them verify, so a rotation logs nobody out. Generated
/// on first start; reloaded when another instance (or <c>keys rotate-signing</c>) adds one, and when a token
/// names a <c>kid</c> this instance has not seen yet.
/// </summary>
internal sealed partial class SigningKeys(ISigningKeyStore store, IChangeFeed changes, TimeProvider time, ILogger<SigningKeys> logger)
{
    private static readonly TimeSpan MinReloadInterval = TimeSpan.FromSeconds(5);

    private volatile KeySet? _keys;
    private long _lastReload;

    private sealed record KeySet(ECDsaSecurityKey Current, IReadOnlyList<ECDsaSecurityKey> All, JsonWebKeySet Public);

    public ECDsaSecurityKey Current => (_keys ?? throw new InvalidOperationException("Signing keys are not loaded yet.")).Current;

    public IReadOnlyList<ECDsaSecurityKey> All => _keys?.All ?? [];

    public JsonWebKeySet PublicKeys => _keys?.Public ?? new JsonWebKeySet();

    public bool IsLoaded => _keys is not null;

    /// <summary>Loads the keys, creating the first one when the store has none.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var records = await store.ListAsync(cancellationToken);
        if (records.Count == 0)
        {
            // Two instances starting at once may both create one: both are kept, the newest signs.
            await store.AddAsync(Generate(), cancellationToken);
            records = await store.ListAsync(cancellationToken);
        }

        _keys = Build(records);
        _lastReload = time.GetTimestamp();
    }

    /// <summary>Adds a new signing key; tokens signed with older keys stay valid.</summary>
    public async Task<string> RotateAsync(CancellationToken cancellationToken = default)
    {
        var key = Generate();
        await store.AddAsync(key, cancellationToken);
        await changes.PublishAsync(ChangeTopics.SigningKeys, key.Kid, cancellationToken);
        await LoadAsync(cancellationToken);
        return key.Kid;
    }

    /// <summary>Reloads when a token names an unknown <c>kid</c>, at most every few seconds (forged kids must not hammer the store).</summary>
    public async Task<bool> TryReloadForAsync(string kid)
    {
        if (All.Any(k => k.KeyId == kid) || time.GetElapsedTime(Interlocked.Read(ref _lastReload)) < MinReloadInterval)
        {
            return false;
        }

        Interlocked.Exchange(ref _lastReload, time.GetTimestamp());
        try
        {
            await LoadAsync();
            return All.Any(k => k.KeyId == kid);
        }
        catch (Exception ex)
        {
            Log.ReloadFailed(logger, ex.GetType().Name);
            return false;
        }
    }

    private SigningKeyRecord Generate()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));
        return new SigningKeyRecord(kid, TokenOptions.Algorithm, ecdsa.ExportPkcs8PrivateKeyPem(), time.GetUtcNow());
    }

    private static KeySet Build(IReadOnlyList<SigningKeyRecord> records)
    {
        var keys = records.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Kid, StringComparer.Ordinal).Select(r =>
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(r.PrivateKeyPem);
            return new ECDsaSecurityKey(ecdsa) { KeyId = r.Kid };
        }).ToArray();

        var jwks = new JsonWebKeySet();
        foreach (var key in keys)
        {
            var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
            jwks.Keys.Add(new JsonWebKey
            {
                Kty = JsonWebAlgorithmsKeyTypes.EllipticCurve,
                Crv = JsonWebKeyECTypes.P256,
                X = Base64UrlEncoder.Encode(parameters.Q.X),
                Y = Base64UrlEncoder.Encode(parameters.Q.Y),
                Kid = key.KeyId,
                Alg = TokenOptions.Algorithm,
                Use = JsonWebKeyUseNames.Sig,
            });
        }

        return new KeySet(keys[0], keys, jwks);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Could not reload signing keys ({Kind})")]
        public static partial void ReloadFailed(ILogger logger, string kind);
    }
}
