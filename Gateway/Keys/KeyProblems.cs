using Tribuo.Gateway.Http;

namespace Tribuo.Gateway.Keys;

/// <summary>The answers to a key that did not pass, shared by proxied routes and the admin API.</summary>
internal static class KeyProblems
{
    public const string Challenge = "KEY realm=\"tribuo\"";

    /// <summary>Why a key was refused; the secret itself is never part of the answer.</summary>
    public static Task RefusedAsync(HttpContext context, KeyAuthResult result)
    {
        var id = result.Key?.Record?.Id;
        return result.Status switch
        {
            KeyStatus.Missing => UnauthorizedAsync(context, "Credential required", "This resource needs an API key: send 'Authorization: KEY <secret>'."),
            KeyStatus.OtherScheme => UnauthorizedAsync(context, "Wrong authorization scheme", "This resource accepts API keys: send 'Authorization: KEY <secret>'."),
            KeyStatus.Unknown => UnauthorizedAsync(context, "Invalid key", "The key sent is not known to the gateway. Check that the whole secret was copied."),
            KeyStatus.Revoked => UnauthorizedAsync(context, "Key revoked", $"Key '{id}' has been revoked. Ask for a new key."),
            KeyStatus.Disabled => UnauthorizedAsync(context, "Key disabled", $"Key '{id}' is disabled. Ask an administrator to enable it."),
            KeyStatus.Expired => UnauthorizedAsync(context, "Key expired", $"Key '{id}' expired on {result.Key!.Record!.Expires:yyyy-MM-dd}. Ask for a new key."),
            _ => UnavailableAsync(context),
        };
    }

    public static Task ForbiddenAsync(HttpContext context, string title, string detail) =>
        Problem.WriteAsync(context, StatusCodes.Status403Forbidden, title, detail);

    private static Task UnauthorizedAsync(HttpContext context, string title, string detail)
    {
        context.Response.Headers.WWWAuthenticate = Challenge;
        return Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, title, detail);
    }

    private static Task UnavailableAsync(HttpContext context)
    {
        return Problem.UnavailableAsync(context, "Key store unavailable", "The gateway cannot check this key right now.");
    }
}
