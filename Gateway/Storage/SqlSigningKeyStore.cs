using System.Data.Common;
using Dapper;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Storage;

/// <summary>Signing keys in the users' database (PostgreSQL or embedded); the statements are the same in both.</summary>
internal sealed class SqlSigningKeyStore(Func<CancellationToken, Task<DbConnection>> open) : ISigningKeyStore
{
    public async Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        var rows = await connection.QueryAsync<(string Kid, string Algorithm, string PrivateKey, long CreatedAt)>(
            "SELECT kid, algorithm, private_key, created_at FROM signing_keys");
        return rows.Select(r => new SigningKeyRecord(r.Kid, r.Algorithm, r.PrivateKey, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToArray();
    }

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO signing_keys (kid, algorithm, private_key, created_at) VALUES (@Kid, @Algorithm, @PrivateKeyPem, @CreatedAt)",
            new { key.Kid, key.Algorithm, key.PrivateKeyPem, CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds() });
    }
}
