namespace Tribuo.Gateway.Login;

/// <summary>The <c>tribuo_cloud_token</c> cookie the sites already use (DESIGN §6).</summary>
internal static class SessionCookie
{
    public const string Name = "tribuo_cloud_token";
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(172800);

    public static void Set(HttpContext context, string token) =>
        context.Response.Cookies.Append(Name, token, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = MaxAge,
        });

    public static void Clear(HttpContext context) =>
        context.Response.Cookies.Delete(Name, new CookieOptions { Path = "/", HttpOnly = true, Secure = context.Request.IsHttps, SameSite = SameSiteMode.Lax });
}
