using Microsoft.Data.Sqlite;
var c = new SqliteConnection("Data Source=/tmp/x.db"); c.Open(); var cmd = c.CreateCommand(); cmd.CommandText = "select sqlite_version()"; Console.WriteLine(cmd.ExecuteScalar());
var b = WebApplication.CreateBuilder(args); b.Services.AddReverseProxy(); var app = b.Build(); Console.WriteLine("ok"); 
public partial class Program {}
