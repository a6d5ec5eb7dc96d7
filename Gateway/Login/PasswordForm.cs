using Microsoft.AspNetCore.Http.Features;
using Tribuo.Gateway.Http;

namespace Tribuo.Gateway.Login;

/// <summary>The e-mail + password form, read within its limits (DESIGN §8: login forms take at most 16 KB).</summary>
internal static class PasswordForm
{
    public const int MaxBytes = 16 * 1024;
    public const int MaxEmailLength = 254;
    public const int MaxPasswordLength = 1024;

    /// <summary>
    /// The form (empty for a POST without a body), or why it is refused: <c>413</c> only when the body is over
    /// <see cref="MaxBytes"/>, <c>415</c> for a body that is not a form, <c>400</c> for a form that cannot be read
    /// (too many fields, a name too long, bad encoding).
    /// </summary>
    public static async Task<(IFormCollection? Form, int Status)> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBytes)
        {
            return (null, StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        if (!request.HasFormContentType)
        {
            return TokenBody.HasBody(request) ? (null, StatusCodes.Status415UnsupportedMediaType) : (FormCollection.Empty, StatusCodes.Status200OK);
        }

        try
        {
            var form = await request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxBytes, KeyLengthLimit = 64, ValueCountLimit = 16 }, context.RequestAborted);
            return (form, StatusCodes.Status200OK);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, StatusCodes.Status413PayloadTooLarge);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            return (null, StatusCodes.Status400BadRequest);
        }
    }
}
