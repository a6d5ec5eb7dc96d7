using Dapper;
using Tribuo.Gateway.Storage;

namespace Tribuo.Gateway.Operations;

/// <summary>One row of <c>audit_events</c>.</summary>
internal sealed record AuditEntry(long Id, DateTimeOffset At, string Kind, string? Subject, string? Detail);

/// <summary>
/// A filter on the audit trail: who acted (the <c>by …</c> of the detail: a key, <c>cli</c>, a person's e-mail or
/// id), a key, a user (the subject, or the user a created key was bound to), an event kind (<c>key.revoked</c>, or <c>key</c> for every
/// key event). Pages go from the newest event back, by id.
/// </summary>
internal sealed record AuditFilter(string? Actor = null, string? Key = null, string? User = null, string? Event = null, long? Before = null, int Limit = 50);

/// <summary>A page of events, newest first, and the id to continue before (null on the last page).</summary>
internal sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? Next);

/// <summary>Reads the audit trail <see cref="AuditTrail"/> writes, from the users' database.</summary>
internal sealed class AuditLog(IServiceProvider services)
{
    public async Task<AuditPage> ListAsync(AuditFilter filter, CancellationToken cancellationToken = default)
    {
        var where = new List<string>();
        if (Present(filter.Actor))
        {
            where.Add("detail LIKE @actor ESCAPE '\\'");
        }

        if (Present(filter.Key))
        {
            where.Add("kind LIKE 'key.%' AND subject = @key");
        }

        if (Present(filter.User))
        {
            where.Add("(subject = @user OR detail LIKE @boundUser ESCAPE '\\')");
        }

        if (Present(filter.Event))
        {
            where.Add("(kind = @kind OR kind LIKE @kindPrefix ESCAPE '\\')");
        }

        if (filter.Before is not null)
        {
            where.Add("id < @before");
        }

        var sql = "SELECT id AS Id, at AS At, kind AS Kind, subject AS Subject, detail AS Detail FROM audit_events"
            + (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))
            + " ORDER BY id DESC LIMIT @limit";
        await using var connection = await StorageExtensions.UsersDatabase(services)(cancellationToken);
        var rows = (await connection.QueryAsync<AuditRow>(sql, new
        {
            actor = "%by %" + StoredValues.EscapeLike(filter.Actor) + "%",
            key = filter.Key?.Trim(),
            user = filter.User?.Trim(),
            boundUser = "%bound to user " + StoredValues.EscapeLike(filter.User) + "%",
            kind = filter.Event?.Trim(),
            kindPrefix = StoredValues.EscapeLike(filter.Event) + ".%",
            before = filter.Before,
            limit = filter.Limit + 1,
        })).ToList();
        var entries = rows.Take(filter.Limit).Select(r => new AuditEntry(r.Id, StoredValues.FromDatabaseTime(r.At), r.Kind, r.Subject, r.Detail)).ToArray();
        return new AuditPage(entries, rows.Count > filter.Limit ? entries[^1].Id : null);
    }

    /// <summary>When each of these users last logged in (their latest <c>login.success</c> event); absent when never.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastLoginsAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken = default)
    {
        if (userIds.Count == 0)
        {
            return new Dictionary<string, DateTimeOffset>();
        }

        // One parameter per id, written out (the same statement on PostgreSQL and SQLite), on a plain command: a
        // parameter list built at run time is beyond what Dapper.AOT binds at build time.
        await using var connection = await StorageExtensions.UsersDatabase(services)(cancellationToken);
        await using var command = connection.CreateCommand();
        var names = userIds.Select((id, i) =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"u{i}";
            parameter.Value = id;
            command.Parameters.Add(parameter);
            return $"@u{i}";
        }).ToArray();
        command.CommandText = $"SELECT subject, max(at) FROM audit_events WHERE kind = 'login.success' AND subject IN ({string.Join(", ", names)}) GROUP BY subject";
        var lastLogins = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lastLogins[reader.GetString(0)] = StoredValues.FromDatabaseTime(reader.GetValue(1));
        }

        return lastLogins;
    }

    private static bool Present(string? value) => !string.IsNullOrWhiteSpace(value);

    /// <summary>A row of <c>audit_events</c>; <c>at</c> is a timestamp on PostgreSQL and Unix milliseconds on SQLite.</summary>
    internal sealed class AuditRow
    {
        public long Id { get; init; }
        public object? At { get; init; }
        public string Kind { get; init; } = "";
        public string? Subject { get; init; }
        public string? Detail { get; init; }
    }
}
