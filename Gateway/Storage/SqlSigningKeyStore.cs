using System.Data.Common;
using Dapper;
using Tribuo.Gateway.Tokens;

namespace Tribuo.Gateway.Storage;

/// <summary>
/// Signing keys in the users' database (PostgreSQL or embedded); the statements are the same in both. The
/// private keys are stored encrypted with the <see cref="SecretsKey"/>; rows written before that are
/// encrypted in place the first time they are read.
/// </summary>
internal sealed class SqlSigningKeyStore(Func<CancellationToken, Task<DbConnection>> open, SecretsKey secrets) : ISigningKeyStore
{
    public async Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        var rows = (await connection.QueryAsync<SigningKeyRow>(
            "SELECT kid AS Kid, algorithm AS Algorithm, private_key AS PrivateKey, created_at AS CreatedAt FROM signing_keys")).ToArray();
        foreach (var row in rows.Where(r => !SecretsKey.IsProtected(r.PrivateKey)))
        {
            await connection.ExecuteAsync("UPDATE signing_keys SET private_key = @Sealed WHERE kid = @Kid AND private_key = @PrivateKey",
                new { Sealed = secrets.Protect(row.PrivateKey, Purpose(row.Kid)), row.Kid, row.PrivateKey });
        }

        return rows.Select(r => new SigningKeyRecord(r.Kid, r.Algorithm, secrets.Unprotect(r.PrivateKey, Purpose(r.Kid)), DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt))).ToArray();
    }

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var connection = await open(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO signing_keys (kid, algorithm, private_key, created_at) VALUES (@Kid, @Algorithm, @PrivateKey, @CreatedAt)",
            new { key.Kid, key.Algorithm, PrivateKey = secrets.Protect(key.PrivateKeyPem, Purpose(key.Kid)), CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds() });
    }

    /// <summary>Ties a sealed key to its row: a ciphertext moved to another <c>kid</c> does not decrypt.</summary>
    private static string Purpose(string kid) => "signing-key:" + kid;

    /// <summary>The table's row (a class, not a tuple: Dapper.AOT binds a class's members at build time).</summary>
    internal sealed class SigningKeyRow
    {
        public string Kid { get; init; } = "";
        public string Algorithm { get; init; } = "";
        public string PrivateKey { get; init; } = "";
        public long CreatedAt { get; init; }
    }
}
