using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Tribuo.Gateway.Storage;

/// <summary>Data-protection keys sealed with the <see cref="SecretsKey"/> before they reach the database (DESIGN §8).</summary>
internal sealed class SecretsKeyXmlEncryptor(SecretsKey secrets) : IXmlEncryptor
{
    public const string Purpose = "data-protection-key";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) =>
        new(new XElement("sealedKey", secrets.Protect(plaintextElement.ToString(SaveOptions.DisableFormatting), Purpose)), typeof(SecretsKeyXmlDecryptor));
}

/// <summary>Created by data protection from the type name stored with each key, hence the service-provider constructor.</summary>
internal sealed class SecretsKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<SecretsKey>().Unprotect(encryptedElement.Value, SecretsKeyXmlEncryptor.Purpose));
}
