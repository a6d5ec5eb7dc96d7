namespace Tribuo.Gateway.Login;

/// <summary>
/// A logout that rides on the session cookie revokes it only when the person meant it (DESIGN §6): a request
/// from the gateway's own pages (<c>Sec-Fetch-Site: same-origin</c>, or an <c>Origin</c> equal to the
/// gateway's). Any other link or form gets the confirmation page, so a stray <c>&lt;img src=/auth/logout&gt;</c>
/// on another site logs nobody out. A token sent explicitly (Bearer, body) is intent enough.
/// </summary>
internal static class LogoutIntent
{
    public static bool IsSameOrigin(HttpRequest request, string? publicUrl)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString().Equals("same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || origin == "null")
        {
            return false;
        }

        var own = $"{request.Scheme}://{request.Host}";
        return origin.Equals(own, StringComparison.OrdinalIgnoreCase)
            || (publicUrl is not null && Uri.TryCreate(publicUrl, UriKind.Absolute, out var hub)
                && origin.Equals(hub.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase));
    }
}
