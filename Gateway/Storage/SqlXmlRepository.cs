using System.Data.Common;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Tribuo.Gateway.Storage;

/// <summary>
/// ASP.NET Core data-protection keys (they protect login state and users' stored API tokens) in the users'
/// database, so every instance can read what another protected.
/// </summary>
internal sealed class SqlXmlRepository(Func<DbConnection> open) : IXmlRepository
{
    // IXmlRepository is synchronous, so are its database calls: never blocking on asynchronous ones (issue 8 item 10).
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = open();
        return connection.Query<string>("SELECT xml FROM data_protection_keys").Select(XElement.Parse).ToArray();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = open();
        connection.Execute("INSERT INTO data_protection_keys (name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (name) DO NOTHING",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
