using Tribuo.Gateway.Operations;
using static Tribuo.Gateway.OperatorsConsole.ConsolePage;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>The audit trail in the console: newest first, paged, filtered by actor, key, user and event.</summary>
internal static class AuditPage
{
    public static void Map(RouteGroupBuilder console) =>
        console.MapGet("/audit", async (HttpContext context, AuditLog audit, string? actor, string? key, string? user, string? kind, long? before) =>
        {
            var texts = ConsoleTexts.Current;
            var page = await audit.ListAsync(new AuditFilter(actor, key, user, kind, before), context.RequestAborted);
            var body = $"""
                <h1>{E(texts.Audit)}</h1>
                <form class="filters" method="get" action="{ConsoleExtensions.Prefix}/audit">
                <label>{E(texts.Actor)}<input name="actor" value="{E(actor)}"></label>
                <label>{E(texts.KeyLabel)}<input name="key" value="{E(key)}"></label>
                <label>{E(texts.UserLabel)}<input name="user" value="{E(user)}"></label>
                <label>{E(texts.EventLabel)}<input name="kind" value="{E(kind)}" placeholder="key.revoked, routes, login"></label>
                <button type="submit" class="secondary">{E(texts.Filter)}</button></form>
                """;
            body += Table([texts.When, texts.EventLabel, texts.SubjectLabel, texts.Detail], page.Entries.Select(e => new[]
            {
                $"<span class=\"nowrap\">{E(Time(e.At))}</span>", $"<span class=\"mono\">{E(e.Kind)}</span>", $"<span class=\"mono\">{E(e.Subject ?? "—")}</span>", E(e.Detail ?? ""),
            }), texts.NoEvents);
            if (page.Next is { } next)
            {
                body += $"<p class=\"pager\"><a class=\"button secondary\" href=\"{ConsoleExtensions.Prefix}/audit?actor={Q(actor)}&amp;key={Q(key)}&amp;user={Q(user)}&amp;kind={Q(kind)}&amp;before={next}\">{E(texts.NextPage)}</a></p>";
            }

            return new ConsolePage(texts.Audit, ConsoleSection.Audit, body);
        });
}
