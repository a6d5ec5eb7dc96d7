using Microsoft.AspNetCore.Http.Features;

namespace Tribuo.Gateway.Login;

/// <summary>The e-mail + password form, read within its limits (DESIGN §8: login forms take at most 16 KB).</summary>
internal static class PasswordForm
{
    public const int MaxBytes = 16 * 1024;
    public const int MaxEmailLength = 254;
    public const int MaxPasswordLength = 1024;

    /// <summary>The form, or null when it is larger than <see cref="MaxBytes"/> (answered 413).</summary>
    public static async Task<IFormCollection?> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBytes)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        if (!request.HasFormContentType)
        {
            return FormCollection.Empty;
        }

        try
        {
            return await request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxBytes, KeyLengthLimit = 64, ValueCountLimit = 16 }, context.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException)
        {
            return null;
        }
    }
}
