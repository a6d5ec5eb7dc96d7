using System.Text;
using Tribuo.Gateway.Operations;
using Tribuo.Gateway.Routes;
using static Tribuo.Gateway.OperatorsConsole.ConsolePage;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>
/// Routes and access in the console: the active <c>routes.json</c> (when loaded, the last reload error), each route's
/// rules and who can reach it (<see cref="AccessExplainer"/>, as <c>routes explain</c>), and route-scope edits: a
/// preview with the validation result and the keys and roles gaining or losing the route, then a save (written
/// atomically when <c>Gateway:Console:EditRoutes</c> is true, audited with the person and the diff) or a download.
/// The preview's form carries the SHA-256 of the file it was computed from; a save finding another file refuses.
/// </summary>
internal static partial class RoutesPages
{
    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/routes", List);
        console.MapGet("/routes/{id}", ShowAsync);
        console.MapPost("/routes/{id}/preview", PreviewAsync);
        console.MapPost("/routes/{id}/save", SaveAsync);
    }

    private static IResult List(RoutesFileConfigProvider routes)
    {
        var texts = ConsoleTexts.Current;
        var status = routes.Status;
        var snapshot = routes.Snapshot;
        var body = $"""
            <h1>{E(texts.Routes)}</h1>
            <div class="card"><dl>
            <dt>{E(texts.File)}</dt><dd class="mono">{E(status.File)}</dd>
            <dt>{E(texts.LoadedAt)}</dt><dd>{E(Time(status.LoadedAt))}</dd>
            <dt>{E(texts.Routes)}</dt><dd>{status.Routes} · {E(texts.Clusters)} {status.Clusters}</dd>
            <dt>{E(texts.LastReloadError)}</dt><dd>{(status.LastError is null ? E(texts.NoneSince) : $"{E(Time(status.LastErrorAt))}<pre class=\"error mono\">{E(status.LastError)}</pre>")}</dd>
            </dl></div>
            """;
        body += Table([texts.Route, texts.Match, texts.AuthLabel, texts.ScopesLabel, texts.RolesLabel, texts.CompaniesLabel, texts.LimitLabel],
            (snapshot?.Routes ?? []).Select(r =>
            {
                var policy = snapshot!.Policies[r.RouteId];
                var match = string.Join(' ', r.Match.Hosts ?? []) + " " + (r.Match.Path ?? "");
                return new[]
                {
                    $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/routes/{Q(r.RouteId)}\">{E(r.RouteId)}</a>",
                    $"<span class=\"mono\">{E(match.Trim())}</span>",
                }.Concat(PolicyCells(policy).Skip(1)).Append(E(policy.RateLimit?.Text ?? "—"));
            }), texts.NoRoutes);
        return new ConsolePage(texts.Routes, ConsoleSection.Routes, body);
    }

    /// <summary>A route's id and rules as table cells: id, auth, scopes, roles, companies.</summary>
    public static IEnumerable<string> PolicyCells(RoutePolicy policy) =>
    [
        $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/routes/{Q(policy.RouteId)}\">{E(policy.RouteId)}</a>",
        E(policy.Auth.ToString().ToLowerInvariant()),
        $"<span class=\"mono\">{E(Words(policy.Scopes))}</span>",
        E(Words(policy.Roles)),
        E(Words(policy.Companies)),
    ];

    private static async Task<IResult> ShowAsync(HttpContext context, string id, RoutesFileConfigProvider routes, AccessExplainer explainer, string? done)
    {
        var texts = ConsoleTexts.Current;
        if (routes.Snapshot is not { } snapshot || !snapshot.Policies.TryGetValue(id, out var policy))
        {
            return new ConsolePage(texts.Routes, ConsoleSection.Routes, $"<h1>{E(texts.Routes)}</h1>{Error(texts.NoSuchRoute(id))}", StatusCodes.Status404NotFound);
        }

        var reach = AccessExplainer.Route(policy, await explainer.ReadAsync(snapshot, context.RequestAborted));
        var body = $"""
            <h1>{E(texts.RouteHeading(policy.RouteId))}</h1>
            {Notice(texts.Done(done))}
            <div class="card"><dl>
            <dt>{E(texts.AuthLabel)}</dt><dd>{E(policy.Auth.ToString().ToLowerInvariant())}</dd>
            <dt>{E(texts.ScopesLabel)}</dt><dd class="mono">{E(Words(policy.Scopes))}</dd>
            <dt>{E(texts.RolesLabel)}</dt><dd>{E(Words(policy.Roles))}</dd>
            <dt>{E(texts.CompaniesLabel)}</dt><dd>{E(Words(policy.Companies))}</dd>
            <dt>{E(texts.LimitLabel)}</dt><dd class="mono">{E(policy.RateLimit?.Text ?? "—")}</dd>
            <dt>Forward Authorization</dt><dd>{E(policy.ForwardAuthorization ? texts.Yes : texts.No)}</dd>
            </dl></div>
            {ReachHtml(texts, reach)}
            <h2>{E(texts.EditAccess)}</h2>
            {EditForm(context, RouteAccessEdit.From(policy))}
            """;
        return new ConsolePage(texts.RouteHeading(policy.RouteId), ConsoleSection.Routes, body);
    }

    private static string ReachHtml(ConsoleTexts texts, RouteReach reach)
    {
        if (reach.Everybody)
        {
            return $"<h2>{E(texts.WhoCanReach)}</h2><p class=\"card\">{E(texts.Everybody)}</p>";
        }

        return $"<h2>{E(texts.KeysReaching(reach.Keys.Count))}</h2>"
            + Table([texts.Id, texts.Name, texts.ScopesLabel, texts.UserLabel, texts.OriginsLabel], reach.Keys.Select(k => new[]
            {
                $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/keys/{Q(k.Id)}\">{E(k.Id)}</a>", E(k.Name), $"<span class=\"mono\">{E(string.Join(' ', k.Scopes))}</span>",
                k.UserId is null ? "—" : $"<a class=\"mono\" href=\"{ConsoleExtensions.Prefix}/users/{Q(k.UserId)}\">{E(k.UserId)}</a>",
                E(k.Origins.Count == 0 ? "—" : texts.OnlyFrom(string.Join(' ', k.Origins))),
            }), texts.NoKeyReaches)
            + $"<h2>{E(texts.RolesReaching(reach.Roles.Count))}</h2>"
            + (reach.Roles.Count == 0 ? $"<p class=\"card\">{E(texts.NoRoleReaches)}</p>"
                : "<div class=\"card\"><ul class=\"plain\">" + string.Concat(reach.Roles.Select(r => $"<li>{E(r.Role)}{(r.Companies.Count == 0 ? "" : " — " + E(texts.OfCompanies(string.Join(' ', r.Companies))))}</li>")) + "</ul></div>");
    }

    private static string EditForm(HttpContext context, RouteAccessEdit edit)
    {
        var texts = ConsoleTexts.Current;
        return Form(context, $"{ConsoleExtensions.Prefix}/routes/{Q(edit.RouteId)}/preview", $"""
            <div class="grid">
            <div>{Field("scopes", texts.ScopesLabel, edit.Scopes, texts.RouteScopesHint)}</div>
            <div>{Field("roles", texts.RolesLabel, edit.Roles, texts.RouteRolesHint)}</div>
            <div>{Field("companies", texts.CompaniesLabel, edit.Companies, texts.RouteCompaniesHint)}</div>
            <div>{Field("rateLimit", texts.LimitLabel, edit.RateLimit, texts.RouteLimitHint)}</div>
            </div>
            <div class="actions"><button type="submit">{E(texts.Preview)}</button></div>
            """, "card");
    }

    /// <summary>An edit applied to a file's text: the new text, its validation, and who gains or loses the route.</summary>
    private sealed record PreparedEdit(string? NewText, IReadOnlyList<ConfigError> Errors, RoutePolicy? Before, RoutePolicy? After, AccessDiff? Diff);

    private static async Task<PreparedEdit> PrepareAsync(HttpContext context, RouteAccessEdit edit, string text)
    {
        var services = context.RequestServices;
        var editor = services.GetRequiredService<RoutesFileEditor>();
        var explainer = services.GetRequiredService<AccessExplainer>();
        var active = services.GetRequiredService<RoutesFileConfigProvider>().Snapshot;
        var newText = RoutesFileEditor.Apply(text, edit);
        if (newText is null)
        {
            return new PreparedEdit(null, [new ConfigError($"route '{edit.RouteId}'", "(file)", ConsoleTexts.Current.RouteNotInFile)], null, null, null);
        }

        var validation = await editor.ValidateAsync(newText);
        if (validation.Snapshot is not { } next || !next.Policies.TryGetValue(edit.RouteId, out var after))
        {
            return new PreparedEdit(newText, validation.Errors, null, null, null);
        }

        var before = active?.Policies.GetValueOrDefault(edit.RouteId);
        var facts = await explainer.ReadAsync(next, context.RequestAborted);
        facts = facts with { Roles = facts.Roles.Union(active is null ? [] : explainer.KnownRoles(active), StringComparer.Ordinal).ToArray() };
        var beforeReach = before is null ? new RouteReach(after, false, [], []) : AccessExplainer.Route(before, facts);
        return new PreparedEdit(newText, [], before, after, AccessRules.Diff(beforeReach, AccessExplainer.Route(after, facts)));
    }

    private static RouteAccessEdit ReadEdit(string id, IFormCollection form) =>
        new(id, string.Join(' ', form.Words("scopes")), string.Join(' ', form.Words("roles")), string.Join(' ', form.Words("companies")), form.Text("rateLimit"));

    private static async Task<IResult> PreviewAsync(HttpContext context, string id, RoutesFileEditor editor, ConsoleOptions options)
    {
        try
        {
            return await PreviewFromFileAsync(context, id, editor, options);
        }
        catch (RoutesFileUnreadableException ex)
        {
            return Unreadable(ConsoleTexts.Current, id, editor, ex);
        }
    }

    private static async Task<IResult> PreviewFromFileAsync(HttpContext context, string id, RoutesFileEditor editor, ConsoleOptions options)
    {
        var texts = ConsoleTexts.Current;
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var edit = ReadEdit(id, form);
        var (text, hash) = await editor.ReadAsync(context.RequestAborted);
        var prepared = await PrepareAsync(context, edit, text);
        var body = $"<h1>{E(texts.PreviewHeading(id))}</h1>";
        if (prepared.Diff is not { } diff)
        {
            body += Error(texts.ValidationFailed + "\n" + string.Join("\n", prepared.Errors.Select(e => "• " + e)));
            body += $"<h2>{E(texts.EditAccess)}</h2>" + EditForm(context, edit);
            return new ConsolePage(texts.PreviewHeading(id), ConsoleSection.Routes, body, StatusCodes.Status400BadRequest);
        }

        body += $"<p class=\"notice\" role=\"status\">{E(texts.ValidationPassed)}</p>";
        body += $"<h2>{E(texts.Changes)}</h2>" + Table([texts.Field, texts.Before, texts.After],
            FieldChanges(prepared.Before, edit).Select(c => new[] { E(c.Name), $"<span class=\"mono\">{E(OrDash(c.Before))}</span>", $"<span class=\"mono\">{E(OrDash(c.After))}</span>" }),
            texts.NoFieldChange);
        body += $"<h2>{E(texts.AccessChange)}</h2><div class=\"card\" id=\"access-diff\">" + (diff.IsEmpty ? E(texts.NoAccessChange) : string.Concat(
            DiffList("keys-gaining", "gain", texts.KeysGaining, diff.KeysGaining),
            DiffList("keys-losing", "lose", texts.KeysLosing, diff.KeysLosing),
            DiffList("roles-gaining", "gain", texts.RolesGaining, diff.RolesGaining),
            DiffList("roles-losing", "lose", texts.RolesLosing, diff.RolesLosing))) + "</div>";

        var canSave = options.EditRoutes && editor.IsWritable();
        var hidden = string.Concat(edit.Fields.Select(f => $"<input type=\"hidden\" name=\"{FormName(f.Name)}\" value=\"{E(f.Value)}\">"))
            + $"<input type=\"hidden\" name=\"base\" value=\"{hash}\">";
        var buttons = (canSave ? $"<button type=\"submit\" name=\"do\" value=\"save\">{E(texts.SaveRoutes)}</button>" : "")
            + $"<button type=\"submit\" name=\"do\" value=\"download\" class=\"secondary\">{E(texts.DownloadRoutes)}</button>";
        body += (canSave ? "" : $"<p class=\"card\">{E(options.EditRoutes ? texts.FileNotWritable : texts.EditingDisabled)}</p>")
            + Form(context, $"{ConsoleExtensions.Prefix}/routes/{Q(id)}/save", hidden + $"<div class=\"actions\">{buttons}</div>")
            + $"<p><a href=\"{ConsoleExtensions.Prefix}/routes/{Q(id)}\">{E(texts.Cancel)}</a></p>";
        return new ConsolePage(texts.PreviewHeading(id), ConsoleSection.Routes, body);
    }

    private static async Task<IResult> SaveAsync(HttpContext context, string id, RoutesFileEditor editor, ConsoleOptions options, AuditTrail trail, ILoggerFactory loggers)
    {
        try
        {
            return await SaveFromFileAsync(context, id, editor, options, trail, loggers.CreateLogger(typeof(RoutesPages).FullName!));
        }
        catch (RoutesFileUnreadableException ex)
        {
            return Unreadable(ConsoleTexts.Current, id, editor, ex);
        }
    }

    private static async Task<IResult> SaveFromFileAsync(HttpContext context, string id, RoutesFileEditor editor, ConsoleOptions options, AuditTrail trail, ILogger audit)
    {
        var texts = ConsoleTexts.Current;
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var edit = ReadEdit(id, form);
        var (text, hash) = await editor.ReadAsync(context.RequestAborted);
        // A file broken on disk has changed too; saying it cannot be parsed tells the operator what to fix.
        RoutesFileEditor.Apply(text, edit);
        if (!string.Equals(hash, form.Text("base"), StringComparison.Ordinal))
        {
            return Conflict(texts, id);
        }

        var prepared = await PrepareAsync(context, edit, text);
        if (prepared.Diff is not { } diff)
        {
            return new ConsolePage(texts.PreviewHeading(id), ConsoleSection.Routes,
                Error(texts.ValidationFailed + "\n" + string.Join("\n", prepared.Errors.Select(e => "• " + e))), StatusCodes.Status400BadRequest);
        }

        if (form.Text("do") != "save")
        {
            SecurityHeaders(context.Response, texts);
            return Results.File(Encoding.UTF8.GetBytes(prepared.NewText!), "application/json", Path.GetFileName(editor.FilePath));
        }

        if (!options.EditRoutes)
        {
            return new ConsolePage(texts.PreviewHeading(id), ConsoleSection.Routes, Error(texts.EditingDisabled), StatusCodes.Status403Forbidden);
        }

        var outcome = await editor.SaveAsync(hash, prepared.NewText!, context.RequestAborted);
        switch (outcome)
        {
            case RoutesSaveOutcome.Conflict:
                return Conflict(texts, id);
            case RoutesSaveOutcome.NotWritable:
                return new ConsolePage(texts.PreviewHeading(id), ConsoleSection.Routes, Error(texts.FileNotWritable), StatusCodes.Status409Conflict);
        }

        var changes = string.Join("; ", FieldChanges(prepared.Before, edit).Select(c => $"{c.Name} '{c.Before}' → '{c.After}'"));
        var actor = ConsoleOperator.Of(context).Actor;
        // As key and role changes (KeyService, UserAccounts): the audit line in the log and the audit_events row.
        Log.RouteEdited(audit, id, actor, changes, diff.ToString());
        await trail.RecordAsync("routes.edited", id, $"by {actor}; {changes}; {diff}", context.RequestAborted);
        return Results.Redirect($"{ConsoleExtensions.Prefix}/routes/{Q(id)}?done=" + (outcome == RoutesSaveOutcome.Saved ? "saved" : "saved-not-loaded"));
    }

    /// <summary>The file on disk cannot be read or parsed: a 409 naming it and why (the running configuration is not at fault), nothing written.</summary>
    private static ConsolePage Unreadable(ConsoleTexts texts, string id, RoutesFileEditor editor, RoutesFileUnreadableException ex) =>
        new(texts.PreviewHeading(id), ConsoleSection.Routes,
            $"<h1>{E(texts.PreviewHeading(id))}</h1>{Error(texts.RoutesFileUnreadable(editor.FilePath, ex.Message))}<p><a class=\"button secondary\" href=\"{ConsoleExtensions.Prefix}/routes/{Q(id)}\">{E(texts.StartOver)}</a></p>",
            StatusCodes.Status409Conflict);

    private static ConsolePage Conflict(ConsoleTexts texts, string id) =>
        new(texts.PreviewHeading(id), ConsoleSection.Routes,
            $"<h1>{E(texts.PreviewHeading(id))}</h1>{Error(texts.ConcurrentEdit)}<p><a class=\"button secondary\" href=\"{ConsoleExtensions.Prefix}/routes/{Q(id)}\">{E(texts.StartOver)}</a></p>",
            StatusCodes.Status409Conflict);

    private static IEnumerable<(string Name, string Before, string After)> FieldChanges(RoutePolicy? before, RouteAccessEdit edit) =>
        (before is null ? new RouteAccessEdit(edit.RouteId, "", "", "", "") : RouteAccessEdit.From(before)).Fields
            .Zip(edit.Fields, (b, a) => (b.Name, b.Value, a.Value))
            .Where(c => !string.Equals(c.Item2, c.Item3, StringComparison.Ordinal));

    private static string DiffList(string id, string css, string label, IReadOnlyList<string> items) =>
        items.Count == 0 ? "" : $"<p>{E(label)}</p><ul class=\"plain {css}\" id=\"{id}\">" + string.Concat(items.Select(i => $"<li class=\"mono\">{E(i)}</li>")) + "</ul>";

    /// <summary>The form field of a metadata name (<c>Scopes</c> → <c>scopes</c>, <c>RateLimit</c> → <c>rateLimit</c>).</summary>
    private static string FormName(string metadataName) => char.ToLowerInvariant(metadataName[0]) + metadataName[1..];

    private static string Words(IReadOnlyList<string> values) => OrDash(string.Join(' ', values));

    private static string OrDash(string value) => value.Length == 0 ? "—" : value;

    private static partial class Log
    {
        [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "audit: route {RouteId} edited by {Actor}: {Changes}; {AccessDiff}")]
        public static partial void RouteEdited(ILogger logger, string routeId, string actor, string changes, string accessDiff);
    }
}
