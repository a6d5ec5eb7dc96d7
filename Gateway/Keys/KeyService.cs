using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Keys;

/// <summary>A key just created or rotated, with the only copy of its secret that will ever exist.</summary>
internal sealed record IssuedKey(KeyRecord Key, string Secret);

/// <summary>Changes to a key an operator may make after creation (null = unchanged).</summary>
internal sealed record KeyChanges(string? Name = null, IReadOnlyList<string>? Scopes = null, IReadOnlyList<string>? Origins = null, bool? Disabled = null, DateTimeOffset? Expires = null, bool ClearExpires = false, IReadOnlyList<string>? RateLimits = null);

/// <summary>What an import did: keys written, keys already known (or expired), and one sentence per key refused.</summary>
internal sealed record KeyImport(int Imported, int Skipped, IReadOnlyList<string> Refused);

/// <summary>
/// Told of a key's new secret, before the rotation is answered: a copy of the secret kept elsewhere (a user's
/// <c>api_token</c>) would otherwise go on being handed out after it stopped working.
/// </summary>
internal interface IKeySecretFollower
{
    Task SecretChangedAsync(KeyRecord key, string secret, CancellationToken cancellationToken);
}

/// <summary>
/// A change the operator asked for that cannot be made, in a sentence that names the key and never its secret.
/// <paramref name="conflict"/>: the request is well-formed but the key's state refuses it (a revoked key), a 409 over HTTP.
/// </summary>
internal sealed class KeyOperationException(string message, bool conflict = false) : Exception(message)
{
    public bool Conflict => conflict;

    /// <summary>
    /// A revoked key stays revoked whatever is changed on it: an edit, an enable or a rotation would change nothing a
    /// client sees, and was answered as done (with a <c>key.updated</c> event) by the admin API and the CLI.
    /// </summary>
    public static KeyOperationException Revoked(string id, string instead) => new($"key '{id}' is revoked; {instead}", conflict: true);
}

/// <summary>
/// Every change to keys goes through here, whoever asks (CLI, HTTP, seeding): validate, write, tell every
/// instance (so caches drop the key within a second), and leave an audit line. Never logs a secret.
/// </summary>
internal sealed partial class KeyService(IKeyStore store, IKeyPager pager, IChangeFeed changes, KeyChangeFanout local, TimeProvider time, Operations.AuditTrail trail, ILogger<KeyService> audit, IKeySecretFollower? follower = null, KeyWriteFollowUp? followUp = null)
{
    public Task<IReadOnlyList<KeyRecord>> ListAsync(CancellationToken cancellationToken = default) => store.ListAsync(cancellationToken);

    /// <summary>One page of keys in id order; what the admin API and the CLI list with.</summary>
    public Task<KeyPage> ListPageAsync(KeyQuery query, CancellationToken cancellationToken = default) => pager.ListAsync(query, cancellationToken);

    public Task<KeyRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => store.GetAsync(id, cancellationToken);

    /// <summary>Creates a key; the secret is generated unless the spec brings one (or only its hash).</summary>
    public Task<IssuedKey> CreateAsync(KeySpec spec, string actor, CancellationToken cancellationToken = default) =>
        KeyRules.IsUserTokenId(spec.Id) ? throw new KeyOperationException(KeyRules.UserTokenReserved(spec.Id)) : CreateAnyAsync(spec, actor, cancellationToken);

    /// <summary>A user's API token (<see cref="KeyRules.UserTokenPrefix"/>), which only the login hub creates.</summary>
    public Task<IssuedKey> CreateUserTokenAsync(KeySpec spec, CancellationToken cancellationToken = default) =>
        KeyRules.IsUserTokenId(spec.Id) && spec.UserId is not null ? CreateAnyAsync(spec, "login", cancellationToken)
            : throw new KeyOperationException($"key '{spec.Id}': not a user's API token.");

    private async Task<IssuedKey> CreateAnyAsync(KeySpec spec, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = KeyRules.Validate(spec, now);
        if (errors.Count > 0)
        {
            throw new KeyOperationException(string.Join(Environment.NewLine, errors));
        }

        var secret = spec.Sha256 is null ? spec.Secret ?? KeySecrets.Generate() : "";
        var record = new KeyRecord
        {
            Id = spec.Id!,
            Name = spec.Name!.Trim(),
            Sha256 = spec.Sha256 ?? KeySecrets.HashHex(secret),
            Scopes = spec.Scopes!.Distinct(StringComparer.Ordinal).ToArray(),
            Origins = spec.Origins?.ToArray() ?? [],
            Expires = spec.Expires,
            Disabled = spec.Disabled,
            UserId = spec.UserId,
            RateLimits = ParseRateLimits(spec.RateLimits),
            CreatedAt = now,
        };

        var detail = $"by {actor}; scopes {string.Join(' ', record.Scopes)}" + BoundTo(record);
        try
        {
            if (!await store.CreateAsync(record, cancellationToken))
            {
                throw new KeyOperationException($"key '{record.Id}': a key with this Id or this secret already exists (revoked keys keep their Id).");
            }

            // Creation is a change too: another instance may have cached "no such key" for this hash.
            await PublishAsync(record.Sha256, cancellationToken);
        }
        catch (Exception ex) when (StoreErrors.IsUnreachable(ex))
        {
            followUp?.Watch(record.Id, "key.created", detail, stored => stored?.Sha256 == record.Sha256, record.Sha256);
            throw;
        }

        Log.Created(audit, record.Id, string.Join(' ', record.Scopes), record.UserId ?? "-", actor);
        await trail.RecordAsync("key.created", record.Id, detail);
        return new IssuedKey(record, secret);
    }

    public async Task<KeyRecord> RevokeAsync(string id, string actor, CancellationToken cancellationToken = default)
    {
        // Revoking a revoked key changes nothing: no second key.revoked event crediting someone who changed nothing.
        var before = await store.GetAsync(id, cancellationToken);
        if (before is { RevokedAt: not null })
        {
            return before;
        }

        KeyRecord key;
        try
        {
            if (!await store.RevokeAsync(id, time.GetUtcNow(), cancellationToken))
            {
                throw new KeyNotFoundException($"key '{id}' does not exist.");
            }

            key = (await store.GetAsync(id, cancellationToken))!;
            await PublishAsync(key.Sha256, cancellationToken);
        }
        catch (Exception ex) when (StoreErrors.IsUnreachable(ex) && before is not null)
        {
            followUp?.Watch(id, "key.revoked", $"by {actor}" + BoundTo(before), stored => stored?.RevokedAt is not null, before.Sha256);
            throw;
        }

        Log.Revoked(audit, id, key.UserId ?? "-", actor);
        await trail.RecordAsync("key.revoked", id, $"by {actor}" + BoundTo(key));
        return key;
    }

    /// <summary>A new secret for the same key; the old secret stops working everywhere.</summary>
    public async Task<IssuedKey> RotateAsync(string id, string actor, CancellationToken cancellationToken = default)
    {
        var current = await store.GetAsync(id, cancellationToken) ?? throw new KeyNotFoundException($"key '{id}' does not exist.");
        if (current.RevokedAt is not null)
        {
            throw KeyOperationException.Revoked(id, "create a new key instead of rotating it.");
        }

        var secret = KeySecrets.Generate();
        var newHash = KeySecrets.HashHex(secret);
        try
        {
            var oldHash = await store.ReplaceHashAsync(id, newHash, cancellationToken)
                ?? throw new KeyOperationException($"key '{id}' changed while it was being rotated; try again.");
            await PublishAsync(oldHash, cancellationToken);
            await PublishAsync(newHash, cancellationToken);
        }
        catch (Exception ex) when (StoreErrors.IsUnreachable(ex))
        {
            // Stored later, the old secret stops working and the new one was never shown: the operator rotates again.
            followUp?.Watch(id, "key.rotated", $"by {actor}" + BoundTo(current), stored => stored?.Sha256 == newHash, current.Sha256, newHash);
            throw;
        }

        if (follower is not null)
        {
            await follower.SecretChangedAsync(current with { Sha256 = newHash }, secret, cancellationToken);
        }

        Log.Rotated(audit, id, current.UserId ?? "-", actor);
        await trail.RecordAsync("key.rotated", id, $"by {actor}" + BoundTo(current));
        return new IssuedKey(current with { Sha256 = newHash }, secret);
    }

    public async Task<KeyRecord> UpdateAsync(string id, KeyChanges edit, string actor, CancellationToken cancellationToken = default)
    {
        var current = await store.GetAsync(id, cancellationToken) ?? throw new KeyNotFoundException($"key '{id}' does not exist.");
        if (current.RevokedAt is not null)
        {
            throw KeyOperationException.Revoked(id, "it cannot be changed, enabled or disabled; create a new key instead.");
        }

        var updated = current with
        {
            Name = edit.Name ?? current.Name,
            Scopes = edit.Scopes ?? current.Scopes,
            Origins = edit.Origins ?? current.Origins,
            Disabled = edit.Disabled ?? current.Disabled,
            Expires = edit.ClearExpires ? null : edit.Expires ?? current.Expires,
        };
        var errors = KeyRules.Validate(new KeySpec
        {
            Id = updated.Id, Name = updated.Name, Sha256 = updated.Sha256, Scopes = updated.Scopes,
            Origins = updated.Origins, Expires = edit.Expires, UserId = updated.UserId, RateLimits = edit.RateLimits,
        }, time.GetUtcNow());
        if (errors.Count > 0)
        {
            throw new KeyOperationException(string.Join(Environment.NewLine, errors));
        }

        if (edit.RateLimits is not null)
        {
            updated = updated with { RateLimits = ParseRateLimits(edit.RateLimits) };
        }

        var detail = $"by {actor}; scopes {string.Join(' ', updated.Scopes)}; disabled {updated.Disabled}" + BoundTo(updated) + ChangedFields(current, updated);
        try
        {
            if (!await store.UpdateAsync(updated, cancellationToken))
            {
                throw new KeyNotFoundException($"key '{id}' does not exist.");
            }

            await PublishAsync(updated.Sha256, cancellationToken);
        }
        catch (Exception ex) when (StoreErrors.IsUnreachable(ex))
        {
            followUp?.Watch(id, "key.updated", detail, stored => stored is not null && ChangedFields(stored, updated).Length == 0
                && stored.Disabled == updated.Disabled && stored.Scopes.SequenceEqual(updated.Scopes), updated.Sha256);
            throw;
        }

        Log.Updated(audit, id, string.Join(' ', updated.Scopes), updated.Disabled, updated.UserId ?? "-", actor);
        await trail.RecordAsync("key.updated", id, detail);
        return updated;
    }

    /// <summary>
    /// Imports the keys whose Id is not in the store yet; a revoked key stays revoked. A key whose secret another key
    /// already holds is refused by name: the store keeps one key per secret, and an import that counted it as
    /// "already known" left the operator believing a key existed that no request could ever use.
    /// </summary>
    public async Task<KeyImport> ImportAsync(KeysFile file, string actor, CancellationToken cancellationToken = default)
    {
        var imported = 0;
        var refused = new List<string>();
        foreach (var spec in file.Keys)
        {
            if (await store.GetAsync(spec.Id!, cancellationToken) is not null)
            {
                continue;
            }

            // The file was validated when read; what is left is an entry that has expired since, skipped with a log line.
            if (KeyRules.Validate(spec, time.GetUtcNow()) is { Count: > 0 } errors)
            {
                Log.ImportSkipped(audit, spec.Id!, string.Join(' ', errors));
                continue;
            }

            try
            {
                await CreateAsync(spec, actor, cancellationToken);
                imported++;
                continue;
            }
            catch (KeyOperationException)
            {
                // The store refused the Id or the hash; an Id created meanwhile (another gateway seeding the same
                // file) is already known, anything else is the secret.
            }

            if (await store.GetAsync(spec.Id!, cancellationToken) is null)
            {
                // Neither the other key nor the secret is named: whoever reads this may not be allowed to know either.
                Log.ImportRefused(audit, spec.Id!);
                refused.Add($"key '{spec.Id}': {SecretTaken}");
            }
        }

        return new KeyImport(imported, file.Keys.Count - imported - refused.Count, refused);
    }

    private const string SecretTaken = "its secret is already held by a key in the store; not imported. Give it a secret of its own (or remove it from the file).";

    /// <summary>
    /// This instance forgets the key before the caller is answered (the same request path that answered the
    /// admin call must refuse the key next); the others hear of it through the change feed.
    /// </summary>
    private Task PublishAsync(string sha256, CancellationToken cancellationToken)
    {
        local.Changed(sha256);
        return changes.PublishAsync(ChangeTopics.Keys, sha256, cancellationToken);
    }

    /// <summary>Already validated by <see cref="KeyRules"/>; the same limit written twice counts once.</summary>
    private static RateLimits.RateLimit[] ParseRateLimits(IReadOnlyList<string>? texts) =>
        (texts ?? []).Select(RateLimits.RateLimit.Parse).Distinct().ToArray();

    /// <summary>
    /// What else an update changed, for the audit detail: removing a site key's origins makes its public secret a server
    /// key, and an expiry lifted or a limit raised left no trace when only scopes and the disabled flag were recorded.
    /// </summary>
    private static string ChangedFields(KeyRecord before, KeyRecord after)
    {
        var changed = new List<string>();
        if (before.Name != after.Name)
        {
            changed.Add("name");
        }

        if (!before.Origins.SequenceEqual(after.Origins, StringComparer.Ordinal))
        {
            changed.Add($"origins [{string.Join(' ', after.Origins)}]");
        }

        if (before.Expires != after.Expires)
        {
            changed.Add($"expires {after.Expires?.ToString("O") ?? "never"}");
        }

        if (!before.RateLimits.SequenceEqual(after.RateLimits))
        {
            changed.Add($"rate limits [{string.Join(' ', after.RateLimits.Select(l => l.ToString()))}]");
        }

        return changed.Count == 0 ? "" : "; changed " + string.Join(", ", changed);
    }

    /// <summary>The audit detail's mention of the user a key acts as: such a key is a person's credential.</summary>
    private static string BoundTo(KeyRecord key) => key.UserId is null ? "" : $"; bound to user {key.UserId}";

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "audit: key {KeyId} created with scopes [{Scopes}], user {UserId}, by {Actor}")]
        public static partial void Created(ILogger logger, string keyId, string scopes, string userId, string actor);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "audit: key {KeyId} (user {UserId}) revoked by {Actor}")]
        public static partial void Revoked(ILogger logger, string keyId, string userId, string actor);

        [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "audit: key {KeyId} (user {UserId}) rotated by {Actor}")]
        public static partial void Rotated(ILogger logger, string keyId, string userId, string actor);

        [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "audit: key {KeyId} (user {UserId}) updated (scopes [{Scopes}], disabled {Disabled}) by {Actor}")]
        public static partial void Updated(ILogger logger, string keyId, string scopes, bool disabled, string userId, string actor);

        [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Key {KeyId} not imported: {Reason}")]
        public static partial void ImportSkipped(ILogger logger, string keyId, string reason);

        [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Key {KeyId} not imported: " + SecretTaken)]
        public static partial void ImportRefused(ILogger logger, string keyId);
    }
}
