using System.Text.Json;
using StackExchange.Redis;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Storage.Redis;

/// <summary>
/// Key-authenticated routes must not depend on PostgreSQL (DESIGN §8), yet every proxied request carries an
/// assertion signed with the gateway's key. So, when both stores are configured, the signing keys are also
/// kept in Redis (hash <c>tgw:signing-keys</c>, each private key sealed with the <see cref="SecretsKey"/>),
/// and an instance that cannot reach PostgreSQL loads them from there. PostgreSQL stays the source: every
/// successful read refreshes the copy, and a new key is written there first.
/// </summary>
internal sealed partial class RedisSigningKeyMirror(ISigningKeyStore primary, RedisConnection redis, SecretsKey secrets, ILogger<RedisSigningKeyMirror> logger) : ISigningKeyStore
{
    private const string HashKey = RedisConnection.Prefix + "signing-keys";

    internal sealed record Entry(string Algorithm, string Sealed, long CreatedAt);

    public async Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SigningKeyRecord> keys;
        try
        {
            keys = await primary.ListAsync(cancellationToken);
        }
        catch (Exception ex) when (StoreErrors.IsNotOwnCancellation(ex, cancellationToken))
        {
            var copy = await ReadCopyAsync();
            if (copy.Count == 0)
            {
                throw;
            }

            Log.FromCopy(logger, ex.GetType().Name);
            return copy;
        }

        await WriteCopyAsync(keys);
        return keys;
    }

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        await primary.AddAsync(key, cancellationToken);
        await WriteCopyAsync([key]);
    }

    private async Task<IReadOnlyList<SigningKeyRecord>> ReadCopyAsync()
    {
        try
        {
            var entries = await (await redis.GetDatabaseAsync()).HashGetAllAsync(HashKey);
            return entries.Select(e =>
            {
                var kid = (string)e.Name!;
                var entry = JsonSerializer.Deserialize((string)e.Value!, SigningKeyMirrorJson.Default.Entry)!;
                return new SigningKeyRecord(kid, entry.Algorithm, secrets.Unprotect(entry.Sealed, Purpose(kid)), DateTimeOffset.FromUnixTimeMilliseconds(entry.CreatedAt));
            }).ToArray();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            return [];
        }
    }

    private async Task WriteCopyAsync(IReadOnlyList<SigningKeyRecord> keys)
    {
        try
        {
            var fields = keys.Select(k => new HashEntry(k.Kid,
                JsonSerializer.Serialize(new Entry(k.Algorithm, secrets.Protect(k.PrivateKeyPem, Purpose(k.Kid)), k.CreatedAt.ToUnixTimeMilliseconds()), SigningKeyMirrorJson.Default.Entry))).ToArray();
            await (await redis.GetDatabaseAsync()).HashSetAsync(HashKey, fields);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.CopyNotWritten(logger, ex.GetType().Name);
        }
    }

    private static string Purpose(string kid) => "signing-key:" + kid;

    private static partial class Log
    {
        [LoggerMessage(EventId = 520, Level = LogLevel.Warning, Message = "Signing keys read from their Redis copy: PostgreSQL is unreachable ({Kind})")]
        public static partial void FromCopy(ILogger logger, string kind);

        [LoggerMessage(EventId = 521, Level = LogLevel.Warning, Message = "Could not refresh the Redis copy of the signing keys ({Kind})")]
        public static partial void CopyNotWritten(ILogger logger, string kind);
    }
}

/// <summary>The mirror's hash values, serialized without reflection (Native AOT).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(RedisSigningKeyMirror.Entry))]
internal sealed partial class SigningKeyMirrorJson : System.Text.Json.Serialization.JsonSerializerContext;
