using System.Globalization;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Routes;
using static Tribuo.Gateway.OperatorsConsole.ConsolePage;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>
/// Keys in the console: the paged list with search, one key (status, last use, the routes it reaches, its settings),
/// creation (the secret shown once), rotation, revocation, disabling and edits. Every change goes through
/// <see cref="KeyService"/>, like the admin API and the CLI, with the person as the actor of the audit event.
/// </summary>
internal static class KeysPages
{
    private const int PageSize = 50;
    /// <summary>Filters the store cannot apply (name, status) read at most this many pages before the page ends early.</summary>
    private const int MaxPagesScanned = 10;

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/keys", ListAsync);
        console.MapGet("/keys/new", (HttpContext context) => CreateForm(context, new KeySpec(), error: null));
        console.MapPost("/keys", CreateAsync);
        console.MapGet("/keys/{id}", ShowAsync);
        console.MapPost("/keys/{id}", UpdateAsync);
        console.MapPost("/keys/{id}/{action:regex(^(rotate|revoke|disable|enable)$)}", ActAsync);
    }

    private static async Task<IResult> ListAsync(HttpContext context, KeyService keys, TimeProvider time, string? q, string? field, string? status, string? after)
    {
        var texts = ConsoleTexts.Current;
        var search = q?.Trim() ?? "";
        field = field is "name" or "scope" or "user" ? field : "id";
        status = status is "active" or "expired" or "disabled" or "revoked" ? status : "";
        var now = time.GetUtcNow();
        var query = new KeyQuery(PageSize,
            After: after is not null && KeyQuery.TryReadCursor(after, out var afterId) ? afterId : null,
            UserId: field == "user" && search.Length > 0 ? search : null,
            Scope: field == "scope" && search.Length > 0 ? search : null,
            IdPrefix: field == "id" && search.Length > 0 ? search : null);
        bool Wanted(KeyRecord key) =>
            (field != "name" || key.Name.Contains(search, StringComparison.OrdinalIgnoreCase))
            && (status.Length == 0 || Status(key, now) == status);

        var found = new List<KeyRecord>();
        string? resumeAfter = null;
        for (var scanned = 1; ; scanned++)
        {
            var page = await keys.ListPageAsync(query, context.RequestAborted);
            // A filtered store page may end early, even empty, with a cursor: that is where the scan goes on.
            resumeAfter = page.Next is not null && KeyQuery.TryReadCursor(page.Next, out var nextId) ? nextId : null;
            foreach (var key in page.Keys.Where(Wanted))
            {
                found.Add(key);
                if (found.Count == PageSize)
                {
                    resumeAfter = key == page.Keys[^1] && page.Next is null ? null : key.Id;
                    break;
                }
            }

            if (found.Count == PageSize || resumeAfter is null || scanned == MaxPagesScanned)
            {
                break;
            }

            query = query with { After = resumeAfter };
        }

        var next = resumeAfter is null ? null : KeyQuery.CursorAfter(resumeAfter);
        var options = string.Concat(new[] { ("id", texts.SearchById), ("name", texts.SearchByName), ("scope", texts.SearchByScope), ("user", texts.SearchByUser) }
            .Select(o => $"<option value=\"{o.Item1}\"{(o.Item1 == field ? " selected" : "")}>{E(o.Item2)}</option>"));
        var statuses = string.Concat(new[] { "", "active", "expired", "disabled", "revoked" }
            .Select(s => $"<option value=\"{s}\"{(s == status ? " selected" : "")}>{E(s.Length == 0 ? texts.AnyStatus : texts.Status(s))}</option>"));
        var body = $"""
            <h1>{E(texts.Keys)}</h1>
            <div class="actions"><a class="button" href="{ConsoleExtensions.Prefix}/keys/new">{E(texts.NewKey)}</a></div>
            <form class="filters" method="get" action="{ConsoleExtensions.Prefix}/keys">
            <label>{E(texts.Search)}<input name="q" value="{E(search)}"></label>
            <label>{E(texts.SearchIn)}<select name="field">{options}</select></label>
            <label>{E(texts.StatusLabel)}<select name="status">{statuses}</select></label>
            <button type="submit" class="secondary">{E(texts.Filter)}</button></form>
            """;
        body += Table([texts.Id, texts.Name, texts.StatusLabel, texts.ScopesLabel, texts.UserLabel, texts.LastUsed],
            found.Select(k => new[]
            {
                $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/keys/{Q(k.Id)}\">{E(k.Id)}</a>",
                E(k.Name),
                Badge(texts, Status(k, now)),
                $"<span class=\"mono\">{E(string.Join(' ', k.Scopes))}</span>",
                k.UserId is null ? "—" : $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/users/{Q(k.UserId)}\">{E(k.UserId)}</a>",
                $"<span class=\"nowrap\">{E(Time(k.LastUsedAt))}</span>",
            }), texts.NoKeys);
        if (next is not null)
        {
            body += $"<p class=\"pager\"><a class=\"button secondary\" href=\"{ConsoleExtensions.Prefix}/keys?q={Q(search)}&amp;field={field}&amp;status={status}&amp;after={Q(next)}\">{E(texts.NextPage)}</a></p>";
        }

        return new ConsolePage(texts.Keys, ConsoleSection.Keys, body);
    }

    private static IResult CreateForm(HttpContext context, KeySpec spec, string? error)
    {
        var texts = ConsoleTexts.Current;
        var form = Form(context, $"{ConsoleExtensions.Prefix}/keys", $"""
            <div class="grid">
            <div>{Field("id", texts.Id, spec.Id, texts.IdHint, required: true)}</div>
            <div>{Field("name", texts.Name, spec.Name, required: true)}</div>
            <div>{Field("scopes", texts.ScopesLabel, string.Join(' ', spec.Scopes ?? []), texts.ScopesHint, required: true)}</div>
            <div>{Field("origins", texts.OriginsLabel, string.Join(' ', spec.Origins ?? []), texts.OriginsHint)}</div>
            <div>{Field("expires", texts.ExpiresLabel, DateText(spec.Expires), texts.ExpiresHint, type: "date")}</div>
            <div>{Field("rateLimits", texts.RateLimitsLabel, string.Join(' ', spec.RateLimits ?? []), texts.RateLimitsHint)}</div>
            <div>{Field("userId", texts.UserLabel, spec.UserId, texts.UserIdHint)}</div>
            </div>
            <div class="actions"><button type="submit">{E(texts.CreateKey)}</button></div>
            """, "card");
        return new ConsolePage(texts.NewKey, ConsoleSection.Keys, $"<h1>{E(texts.NewKey)}</h1>{Error(error)}{form}",
            error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, KeyService keys)
    {
        var texts = ConsoleTexts.Current;
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var spec = new KeySpec
        {
            Id = form.Text("id"),
            Name = form.Text("name"),
            Scopes = form.Words("scopes"),
            Origins = form.Words("origins"),
            RateLimits = form.Words("rateLimits"),
            UserId = form.Text("userId") is { Length: > 0 } userId ? userId : null,
        };
        if (!TryReadDate(form.Text("expires"), out var expires))
        {
            return CreateForm(context, spec, texts.BadDate);
        }

        IssuedKey issued;
        try
        {
            issued = await keys.CreateAsync(spec with { Expires = expires }, ConsoleOperator.Of(context).Actor, context.RequestAborted);
        }
        catch (KeyOperationException ex)
        {
            return CreateForm(context, spec with { Expires = expires }, ex.Message);
        }

        return SecretPage(texts, issued, texts.KeyCreated(issued.Key.Id), StatusCodes.Status201Created);
    }

    /// <summary>The only time a secret is ever shown: in the answer to the post that made it, never stored, never again.</summary>
    private static ConsolePage SecretPage(ConsoleTexts texts, IssuedKey issued, string heading, int status) =>
        new(heading, ConsoleSection.Keys, $"""
            <h1>{E(heading)}</h1>
            <div class="card"><p>{E(texts.SecretOnce)}</p>
            <div class="secret"><input id="secret" readonly value="{E(issued.Secret)}" aria-label="{E(texts.Secret)}">
            <button type="button" data-copy="secret" data-done="{E(texts.Copied)}">{E(texts.Copy)}</button></div>
            <p><small class="hint">{E(texts.SecretUsage)}</small></p></div>
            <p><a href="{ConsoleExtensions.Prefix}/keys/{Q(issued.Key.Id)}">{E(texts.BackToKey(issued.Key.Id))}</a></p>
            """, status);

    private static Task<IResult> ShowAsync(HttpContext context, string id, string? done) => RenderAsync(context, id, done, error: null);

    /// <summary>A key's page; after a refused change, with the reason and the 400 the change deserved.</summary>
    private static async Task<IResult> RenderAsync(HttpContext context, string id, string? done, string? error)
    {
        var services = context.RequestServices;
        var keys = services.GetRequiredService<KeyService>();
        var explainer = services.GetRequiredService<AccessExplainer>();
        var routes = services.GetRequiredService<RoutesFileConfigProvider>();
        var time = services.GetRequiredService<TimeProvider>();
        var texts = ConsoleTexts.Current;
        var key = await keys.GetAsync(id, context.RequestAborted);
        if (key is null)
        {
            return new ConsolePage(texts.Keys, ConsoleSection.Keys, $"<h1>{E(texts.Keys)}</h1>{Error(texts.NoSuchKey(id))}", StatusCodes.Status404NotFound);
        }

        var status = Status(key, time.GetUtcNow());
        var reached = routes.Snapshot is { } snapshot ? await explainer.RoutesOfKeyAsync(snapshot, key, context.RequestAborted) : [];
        var action = $"{ConsoleExtensions.Prefix}/keys/{Q(key.Id)}";
        var body = $"""
            <h1>{E(texts.KeyHeading(key.Id))} {Badge(texts, status)}</h1>
            {Notice(texts.Done(done))}{Error(error)}
            <div class="card"><dl>
            <dt>{E(texts.Name)}</dt><dd>{E(key.Name)}</dd>
            <dt>{E(texts.ScopesLabel)}</dt><dd class="mono">{E(string.Join(' ', key.Scopes))}</dd>
            <dt>{E(texts.OriginsLabel)}</dt><dd class="mono">{E(key.Origins.Count == 0 ? "—" : string.Join(' ', key.Origins))}</dd>
            <dt>{E(texts.UserLabel)}</dt><dd>{(key.UserId is null ? "—" : $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/users/{Q(key.UserId)}\">{E(key.UserId)}</a>")}</dd>
            <dt>{E(texts.ExpiresLabel)}</dt><dd>{E(key.Expires is null ? texts.Never : Time(key.Expires))}</dd>
            <dt>{E(texts.RateLimitsLabel)}</dt><dd class="mono">{E(key.RateLimits.Count == 0 ? "—" : string.Join(' ', key.RateLimits.Select(l => l.Text)))}</dd>
            <dt>{E(texts.Created)}</dt><dd>{E(Time(key.CreatedAt))}</dd>
            <dt>{E(texts.LastUsed)}</dt><dd id="last-used">{E(Time(key.LastUsedAt))}</dd>
            {(key.RevokedAt is null ? "" : $"<dt>{E(texts.Status("revoked"))}</dt><dd>{E(Time(key.RevokedAt))}</dd>")}
            </dl></div>
            """;
        if (key.RevokedAt is null)
        {
            body += "<div class=\"actions\">"
                + Button(context, action + "/rotate", texts.Rotate)
                + Button(context, action + (key.Disabled ? "/enable" : "/disable"), key.Disabled ? texts.Enable : texts.Disable)
                + Button(context, action + "/revoke", texts.Revoke, "danger")
                + "</div>";
        }

        body += $"<h2>{E(texts.RoutesReached)}</h2>"
            + Table([texts.Route, texts.AuthLabel, texts.ScopesLabel, texts.RolesLabel, texts.CompaniesLabel],
                reached.Select(p => RoutesPages.PolicyCells(p)), status == "active" ? texts.NoRoutesReached : texts.InactiveReachesNothing);

        if (key.RevokedAt is null)
        {
            body += $"<h2>{E(texts.EditKey)}</h2>" + Form(context, action, $"""
                <div class="grid">
                <div>{Field("name", texts.Name, key.Name, required: true)}</div>
                <div>{Field("scopes", texts.ScopesLabel, string.Join(' ', key.Scopes), texts.ScopesHint, required: true)}</div>
                <div>{Field("origins", texts.OriginsLabel, string.Join(' ', key.Origins), texts.OriginsHint)}</div>
                <div>{Field("expires", texts.ExpiresLabel, DateText(key.Expires), texts.ExpiresHint, type: "date")}
                <input type="hidden" name="expiresWas" value="{DateText(key.Expires)}"></div>
                <div>{Field("rateLimits", texts.RateLimitsLabel, string.Join(' ', key.RateLimits.Select(l => l.Text)), texts.RateLimitsHint)}</div>
                </div>
                <div class="actions"><button type="submit">{E(texts.Save)}</button></div>
                """, "card");
        }

        return new ConsolePage(texts.KeyHeading(key.Id), ConsoleSection.Keys, body, error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> UpdateAsync(HttpContext context, string id, KeyService keys)
    {
        var texts = ConsoleTexts.Current;
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!TryReadDate(form.Text("expires"), out var expires))
        {
            return await RenderAsync(context, id, null, texts.BadDate);
        }

        // The form shows the expiry's day only: an expiry whose day was not touched keeps its exact time.
        var expiryChanged = form.Text("expires") != form.Text("expiresWas");
        try
        {
            await keys.UpdateAsync(id, new KeyChanges(
                Name: form.Text("name"),
                Scopes: form.Words("scopes"),
                Origins: form.Words("origins"),
                Expires: expiryChanged ? expires : null,
                ClearExpires: expiryChanged && expires is null,
                RateLimits: form.Words("rateLimits")), ConsoleOperator.Of(context).Actor, context.RequestAborted);
        }
        catch (KeyOperationException ex) when (ex.Conflict)
        {
            return Revoked(id);
        }
        catch (Exception ex) when (ex is KeyOperationException or KeyNotFoundException)
        {
            return await RenderAsync(context, id, null, ex.Message);
        }

        return Done(id, "updated");
    }

    private static async Task<IResult> ActAsync(HttpContext context, string id, string action, KeyService keys)
    {
        var actor = ConsoleOperator.Of(context).Actor;
        try
        {
            switch (action)
            {
                case "rotate":
                    var issued = await keys.RotateAsync(id, actor, context.RequestAborted);
                    var texts = ConsoleTexts.Current;
                    return SecretPage(texts, issued, texts.KeyRotated(id), StatusCodes.Status200OK);
                case "revoke":
                    await keys.RevokeAsync(id, actor, context.RequestAborted);
                    break;
                default:
                    await keys.UpdateAsync(id, new KeyChanges(Disabled: action == "disable"), actor, context.RequestAborted);
                    break;
            }
        }
        catch (KeyOperationException ex) when (ex.Conflict)
        {
            return Revoked(id);
        }
        catch (Exception ex) when (ex is KeyOperationException or KeyNotFoundException)
        {
            return await RenderAsync(context, id, null, ex.Message);
        }

        return Done(id, action == "revoke" ? "revoked" : action == "disable" ? "disabled" : "enabled");
    }

    /// <summary>
    /// A revoked key stays revoked whatever is changed on it (<see cref="KeyOperationException.Revoked"/>): a 409 page
    /// saying so, rather than "done" for a change that is not one. (The key's page offers none of these once revoked; a
    /// page opened before the revocation still posts them.)
    /// </summary>
    private static IResult Revoked(string id)
    {
        var texts = ConsoleTexts.Current;
        return new ConsolePage(texts.KeyHeading(id), ConsoleSection.Keys,
            $"<h1>{E(texts.KeyHeading(id))}</h1>{Error(texts.KeyIsRevoked(id))}<p><a class=\"button secondary\" href=\"{ConsoleExtensions.Prefix}/keys/{Q(id)}\">{E(texts.BackToKey(id))}</a></p>",
            StatusCodes.Status409Conflict);
    }

    /// <summary>After a change, the key's page (a reload never posts again).</summary>
    private static IResult Done(string id, string done) => Results.Redirect($"{ConsoleExtensions.Prefix}/keys/{Q(id)}?done={done}");

    private static string DateText(DateTimeOffset? date) => date?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    /// <summary>A date typed in the form (<c>yyyy-mm-dd</c>, midnight UTC); empty is no expiry.</summary>
    private static bool TryReadDate(string text, out DateTimeOffset? date)
    {
        date = null;
        if (text.Length == 0)
        {
            return true;
        }

        if (DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            date = new DateTimeOffset(parsed, TimeSpan.Zero);
            return true;
        }

        return false;
    }

    public static string Status(KeyRecord key, DateTimeOffset now) => key.StatusAt(now).ToString().ToLowerInvariant();

    public static string Badge(ConsoleTexts texts, string status) => $"<span class=\"badge {status}\">{E(texts.Status(status))}</span>";
}
