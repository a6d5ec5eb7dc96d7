namespace Tribuo.Gateway.Storage;

/// <summary>Table definitions that are the same in PostgreSQL and SQLite, written once for both migration lists.</summary>
internal static class SharedSchema
{
    /// <summary>DESIGN §5: users who came through DataPass, and the password hashes of pre-SSO accounts.</summary>
    public const string UserLinks = """
        CREATE TABLE datapass_users (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE
        );
        CREATE TABLE legacy_users (
            user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            password_hash TEXT NOT NULL
        );
        """;

    /// <summary>The login hub's signing keys and ASP.NET Core's data protection keys, shared by every instance.</summary>
    public const string Keys = """
        CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            algorithm TEXT NOT NULL,
            private_key TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE data_protection_keys (
            name TEXT PRIMARY KEY,
            xml TEXT NOT NULL
        );
        """;

    /// <summary>
    /// DESIGN §5 "Who is who": a person is found by the provider's identity (provider, subject), never by the
    /// e-mail alone. <c>email_verified</c> remembers whether the provider vouched for the e-mail when the
    /// identity was linked, so that only verified accounts are ever linked to by e-mail.
    /// </summary>
    public const string Identities = """
        CREATE TABLE user_identities (
            provider TEXT NOT NULL,
            subject TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            email_verified BOOLEAN NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (provider, subject)
        );
        CREATE INDEX user_identities_user ON user_identities (user_id);
        """;

    /// <summary>The console's audit filters (a key, a user) and the users' last login read events by subject.</summary>
    public const string AuditBySubject = "CREATE INDEX audit_events_subject ON audit_events (subject, kind);";
}
