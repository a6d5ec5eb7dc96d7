using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Operations;
using Tribuo.Gateway.Users;
using static Tribuo.Gateway.OperatorsConsole.ConsolePage;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>
/// Users in the console: the paged list with search (e-mail, name, id), one user (identities, keys, last login) and
/// the change of role, through <see cref="UserAccounts.ChangeRoleAsync"/> like the CLI (their API token's scopes follow).
/// </summary>
internal static class UsersPages
{
    private const int PageSize = 50;

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/users", ListAsync);
        console.MapGet("/users/{id}", ShowAsync);
        console.MapPost("/users/{id}/role", ChangeRoleAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IUserStore users, AuditLog audit, string? q, string? after)
    {
        var texts = ConsoleTexts.Current;
        var page = await users.ListPageAsync(q, after, PageSize + 1, context.RequestAborted);
        var shown = page.Take(PageSize).ToArray();
        var lastLogins = await audit.LastLoginsAsync(shown.Select(u => u.Id).ToArray(), context.RequestAborted);
        var body = $"""
            <h1>{E(texts.Users)}</h1>
            <form class="filters" method="get" action="{ConsoleExtensions.Prefix}/users">
            <label>{E(texts.SearchUsers)}<input name="q" value="{E(q)}"></label>
            <button type="submit" class="secondary">{E(texts.Filter)}</button></form>
            """;
        body += Table([texts.Email, texts.Name, texts.RoleLabel, texts.CompanyLabel, texts.LastLogin, texts.Created],
            shown.Select(u => new[]
            {
                $"<a href=\"{ConsoleExtensions.Prefix}/users/{Q(u.Id)}\">{E(u.Email)}</a>",
                E(u.Name),
                E(u.Role),
                E(u.Company ?? "—"),
                $"<span class=\"nowrap\">{E(Time(lastLogins.TryGetValue(u.Id, out var at) ? at : null))}</span>",
                $"<span class=\"nowrap\">{E(Time(u.CreatedAt))}</span>",
            }), texts.NoUsers);
        if (page.Count > PageSize)
        {
            body += $"<p class=\"pager\"><a class=\"button secondary\" href=\"{ConsoleExtensions.Prefix}/users?q={Q(q)}&amp;after={Q(shown[^1].Email)}\">{E(texts.NextPage)}</a></p>";
        }

        return new ConsolePage(texts.Users, ConsoleSection.Users, body);
    }

    private static Task<IResult> ShowAsync(HttpContext context, string id, string? done) => RenderAsync(context, id, done, error: null);

    private static async Task<IResult> RenderAsync(HttpContext context, string id, string? done, string? error)
    {
        var services = context.RequestServices;
        var texts = ConsoleTexts.Current;
        var users = services.GetRequiredService<IUserStore>();
        var user = await users.GetAsync(id, context.RequestAborted);
        if (user is null)
        {
            return new ConsolePage(texts.Users, ConsoleSection.Users, $"<h1>{E(texts.Users)}</h1>{Error(texts.NoSuchUser(id))}", StatusCodes.Status404NotFound);
        }

        var identities = await users.ListIdentitiesAsync(user.Id, context.RequestAborted);
        var lastLogins = await services.GetRequiredService<AuditLog>().LastLoginsAsync([user.Id], context.RequestAborted);
        var keys = await services.GetRequiredService<KeyService>().ListPageAsync(new KeyQuery(KeyQuery.MaxLimit, UserId: user.Id), context.RequestAborted);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var body = $"""
            <h1>{E(user.Name.Length > 0 ? user.Name : user.Email)}</h1>
            {Notice(texts.Done(done))}{Error(error)}
            <div class="card"><dl>
            <dt>{E(texts.Email)}</dt><dd>{E(user.Email)}</dd>
            <dt>{E(texts.Id)}</dt><dd class="mono">{E(user.Id)}</dd>
            <dt>{E(texts.RoleLabel)}</dt><dd>{E(user.Role)}</dd>
            <dt>{E(texts.CompanyLabel)}</dt><dd>{E(user.Company ?? "—")}</dd>
            <dt>SIRET</dt><dd class="mono">{E(user.OrganizationSiret ?? "—")}</dd>
            <dt>{E(texts.Created)}</dt><dd>{E(Time(user.CreatedAt))}</dd>
            <dt>{E(texts.LastLogin)}</dt><dd id="last-login">{E(Time(lastLogins.TryGetValue(user.Id, out var at) ? at : null))}</dd>
            </dl></div>
            <h2>{E(texts.ChangeRole)}</h2>
            """;
        body += Form(context, $"{ConsoleExtensions.Prefix}/users/{Q(user.Id)}/role",
            $"{Field("role", texts.RoleLabel, user.Role, texts.RoleHint, required: true)}<div class=\"actions\"><button type=\"submit\">{E(texts.ChangeRole)}</button></div>", "card narrow");
        body += $"<h2>{E(texts.Identities)}</h2>" + Table([texts.Provider, texts.Subject, texts.EmailVerified, texts.Linked],
            identities.Select(i => new[] { E(i.Provider), $"<span class=\"mono\">{E(i.Subject)}</span>", E(i.EmailVerified ? texts.Yes : texts.No), E(Time(i.CreatedAt)) }),
            texts.NoIdentities);
        body += $"<h2>{E(texts.Keys)}</h2>" + Table([texts.Id, texts.Name, texts.StatusLabel, texts.ScopesLabel, texts.LastUsed],
            keys.Keys.Select(k => new[]
            {
                $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/keys/{Q(k.Id)}\">{E(k.Id)}</a>", E(k.Name), KeysPages.Badge(texts, KeysPages.Status(k, now)),
                $"<span class=\"mono\">{E(string.Join(' ', k.Scopes))}</span>", E(Time(k.LastUsedAt)),
            }), texts.NoKeys);
        return new ConsolePage(user.Email, ConsoleSection.Users, body, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> ChangeRoleAsync(HttpContext context, string id, IUserStore users, UserAccounts accounts)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var user = await users.GetAsync(id, context.RequestAborted);
        if (user is null)
        {
            return await RenderAsync(context, id, null, null);
        }

        try
        {
            await accounts.ChangeRoleAsync(user.Email, form.Text("role"), ConsoleOperator.Of(context).Actor, context.RequestAborted);
        }
        catch (KeyOperationException ex)
        {
            return await RenderAsync(context, id, null, ex.Message);
        }

        return Results.Redirect($"{ConsoleExtensions.Prefix}/users/{Q(id)}?done=role");
    }
}
