using System.Security.Cryptography;
using System.Text;

namespace Tribuo.Gateway.Storage;

/// <summary>
/// The key-encryption key (DESIGN §8): private signing keys and data-protection keys are stored encrypted
/// with it (AES-256-GCM, the record's identity as associated data), so a dump of the database cannot mint
/// tokens. It lives outside the store: <c>Gateway:Secrets:KeyFile</c> (a file or a mounted secret: 32 bytes,
/// raw or base64), created 0600 when missing; unset on the embedded store, <c>secrets.key</c> in
/// <c>DataDir</c>; unset while PostgreSQL holds the keys, the gateway refuses to start.
/// </summary>
internal sealed class SecretsKey
{
    private const string Prefix = "kek1:";
    private readonly Lazy<byte[]> _key;

    public SecretsKey(IConfiguration configuration, Hosting.GatewayPaths paths, StoreSelection stores)
    {
        var configured = configuration["Gateway:Secrets:KeyFile"];
        File = string.IsNullOrWhiteSpace(configured)
            ? stores.UsesPostgres ? null : Path.Combine(paths.DataDir, "secrets.key")
            : Path.GetFullPath(configured);
        // The gateway's own file (the embedded store's secrets.key) is narrowed to its owner on every start, as the
        // database beside it is: one copied or restored with the folder's modes may be readable by others. A configured
        // file is the operator's (a mounted secret, often read-only): left as it is.
        var owned = string.IsNullOrWhiteSpace(configured);
        _key = new Lazy<byte[]>(() =>
        {
            var key = LoadOrCreate(File ?? throw new InvalidOperationException(MissingMessage));
            if (owned)
            {
                PrivateFiles.Restrict(File);
            }

            return key;
        });
    }

    public const string MissingMessage =
        "Gateway:Secrets:KeyFile is required when PostgreSQL holds the signing and data-protection keys: point it at a file (or mounted secret) of 32 random bytes, kept outside the database.";

    /// <summary>The key file, or null when none is configured and one is required.</summary>
    public string? File { get; }

    /// <summary>For startup validation: loads (or creates) the key now, so a file that cannot be used stops the start, naming the setting.</summary>
    public void Check()
    {
        if (File is null)
        {
            return; // reported by the login checks, with MissingMessage
        }

        try
        {
            _ = _key.Value;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Gateway:Secrets:KeyFile: '{File}' cannot be used: {ex.Message}", ex);
        }
    }

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    public string Protect(string plaintext, string purpose)
    {
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var sealedData = new byte[nonce.Length + AesGcm.TagByteSizes.MaxSize + data.Length];
        nonce.CopyTo(sealedData, 0);
        using var aes = new AesGcm(_key.Value, AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, data, sealedData.AsSpan(nonce.Length + AesGcm.TagByteSizes.MaxSize), sealedData.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize), Encoding.UTF8.GetBytes(purpose));
        return Prefix + Convert.ToBase64String(sealedData);
    }

    /// <summary>The plaintext of a protected value; a value from before encryption is returned as it is.</summary>
    public string Unprotect(string stored, string purpose)
    {
        if (!IsProtected(stored))
        {
            return stored;
        }

        var sealedData = Convert.FromBase64String(stored[Prefix.Length..]);
        var nonceSize = AesGcm.NonceByteSizes.MaxSize;
        var tagSize = AesGcm.TagByteSizes.MaxSize;
        var plaintext = new byte[sealedData.Length - nonceSize - tagSize];
        using var aes = new AesGcm(_key.Value, tagSize);
        aes.Decrypt(sealedData.AsSpan(0, nonceSize), sealedData.AsSpan(nonceSize + tagSize), sealedData.AsSpan(nonceSize, tagSize), plaintext, Encoding.UTF8.GetBytes(purpose));
        return Encoding.UTF8.GetString(plaintext);
    }

    internal static byte[] LoadOrCreate(string file)
    {
        if (!System.IO.File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            try
            {
                // CreateNew: of instances starting at once on one folder, exactly one creates the file.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var stream = new FileStream(file, options);
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
            }
            catch (IOException) when (System.IO.File.Exists(file))
            {
                // Another instance sharing the folder created it first: use theirs, once it has written it.
            }
        }

        var content = ReadWhole(file);
        if (content.Length == 32)
        {
            return content;
        }

        var text = Encoding.ASCII.GetString(content).Trim();
        var key = Convert.TryFromBase64String(text, new byte[64], out var written) && written == 32 ? Convert.FromBase64String(text) : null;
        return key ?? throw new InvalidOperationException($"Gateway:Secrets:KeyFile {file} must hold 32 bytes (raw or base64).");
    }

    /// <summary>The file once it holds a whole key: an instance that lost the race to create it may read it while the winner still writes.</summary>
    private static byte[] ReadWhole(string file)
    {
        const int Base64Length = 44;
        var content = System.IO.File.ReadAllBytes(file);
        for (var attempt = 0; attempt < 50 && content.Length is not (32 or >= Base64Length); attempt++)
        {
            Thread.Sleep(20);
            content = System.IO.File.ReadAllBytes(file);
        }

        return content;
    }
}
