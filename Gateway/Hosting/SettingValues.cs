using System.Globalization;

namespace Tribuo.Gateway.Hosting;

/// <summary>
/// Reading settings so that a value the gateway cannot use is an error naming the setting (DESIGN §2), never a silent
/// default: options sections bound with unknown keys refused, numbers and durations held to their allowed range, flags
/// that are <c>true</c> or <c>false</c>. The errors are <see cref="InvalidOperationException"/>s, which startup
/// validation (<see cref="StartupSettings"/>) turns into its one paragraph and exit code 2.
/// </summary>
internal static partial class SettingValues
{
    /// <summary>
    /// The section bound to <typeparamref name="T"/>; a key <typeparamref name="T"/> has no property for, or a value of the
    /// wrong type, is an error naming the setting. The <paramref name="lists"/> are left out of binding (the binder cannot
    /// read their one-value form): read them with <see cref="List"/>.
    /// </summary>
    /// <param name="bind">
    /// <c>s =&gt; s.Get&lt;TOptions&gt;()</c> written at the caller, where the type is known: the configuration binder's
    /// generator then writes the binding at build time (a generic call here would fall back to reflection, which the
    /// Native AOT binary cannot do for dictionaries such as <c>Providers</c>).
    /// </param>
    public static T Bind<T>(IConfiguration configuration, string section, Func<IConfiguration, T?> bind, params string[] lists) where T : new()
    {
        IConfiguration source = configuration;
        if (lists.Length > 0)
        {
            var skipped = lists.Select(l => $"{section}:{l}").ToArray();
            source = new ConfigurationBuilder().AddInMemoryCollection(configuration.GetSection(section).AsEnumerable()
                .Where(e => !skipped.Any(l => e.Key.Equals(l, StringComparison.OrdinalIgnoreCase) || e.Key.StartsWith(l + ":", StringComparison.OrdinalIgnoreCase))))
                .Build();
        }

        UnknownKeys(configuration.GetSection(section), typeof(T));
        try
        {
            return bind(source.GetSection(section)) ?? new T();
        }
        catch (InvalidOperationException ex) when (WrongType().Match(ex.Message) is { Success: true } wrong)
        {
            throw new InvalidOperationException($"{wrong.Groups["path"].Value}: '{wrong.Groups["value"].Value}' is not {Expected(wrong.Groups["type"].Value)}.");
        }
    }

    /// <summary>
    /// Refuses the keys under <paramref name="section"/> that <paramref name="type"/> has no property for, at any depth
    /// (options classes, and dictionaries of them such as <c>Login:Providers:&lt;name&gt;</c>), naming the full path.
    /// </summary>
    private static void UnknownKeys(IConfigurationSection section, Type type)
    {
        var unknown = new List<string>();
        Walk(section, type, unknown);
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"{string.Join(", ", unknown)}: not a setting the gateway knows (a typing mistake? see README, \"Configuration\").");
        }

        [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Walks the gateway's own options classes, whose assembly the project roots for trimming (Gateway.csproj)")]
        static void Walk(IConfigurationSection section, Type type, List<string> unknown)
        {
            foreach (var child in section.GetChildren())
            {
                var property = type.GetProperty(child.Key, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
                if (property is null || !property.CanWrite)
                {
                    unknown.Add(child.Path);
                    continue;
                }

                var propertyType = property.PropertyType;
                if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>)
                    && propertyType.GetGenericArguments()[1] is { IsClass: true } valueType && valueType != typeof(string))
                {
                    foreach (var entry in child.GetChildren())
                    {
                        Walk(entry, valueType, unknown);
                    }
                }
                else if (propertyType.IsClass && propertyType != typeof(string) && !propertyType.IsGenericType && !propertyType.IsArray)
                {
                    Walk(child, propertyType, unknown);
                }
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']*)' to type '(?<type>[^']*)'", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex WrongType();

    private static string Expected(string type) => type switch
    {
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
        "System.Int32" => "a whole number",
        "System.TimeSpan" => "a duration written hh:mm:ss (00:00:15)",
        _ => $"a value of type {type}",
    };

    public static void Range(string setting, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            throw new InvalidOperationException($"{setting}: '{value.ToString("c", CultureInfo.InvariantCulture)}' is out of range; "
                + $"allowed {min.ToString("c", CultureInfo.InvariantCulture)} to {max.ToString("c", CultureInfo.InvariantCulture)}.");
        }
    }

    public static void Range(string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new InvalidOperationException($"{setting}: '{value.ToString(CultureInfo.InvariantCulture)}' is out of range; "
                + $"allowed {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <summary>An unset flag is <paramref name="defaultValue"/>; anything but <c>true</c> or <c>false</c> is an error.</summary>
    public static bool Flag(IConfiguration configuration, string setting, bool defaultValue)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        return bool.TryParse(value, out var flag) ? flag : throw new InvalidOperationException($"{setting}: '{value}' is not true or false.");
    }

    /// <summary>An unset number is <paramref name="defaultValue"/>; anything but a whole number from min to max is an error.</summary>
    public static int Number(IConfiguration configuration, string setting, int defaultValue, int min, int max)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            throw new InvalidOperationException($"{setting}: '{value}' is not a whole number; allowed {min} to {max}.");
        }

        Range(setting, number, min, max);
        return number;
    }

    /// <summary>
    /// A list setting, in either form: indexed (<c>Setting:0</c>, <c>Setting:1</c>, as JSON arrays and <c>Setting__0</c>
    /// give) or one value holding a comma-separated list (<c>--Setting=a,b</c>, <c>Setting=a</c>), each item trimmed.
    /// Both forms at once, or an index that is not a number, is an error rather than one of them silently winning.
    /// </summary>
    public static List<string> List(IConfiguration configuration, string setting)
    {
        var section = configuration.GetSection(setting);
        var children = section.GetChildren().ToList();
        // Some hosts give a list's parent key an empty value next to its items (the test host does): that is no second form.
        if (section.Value is { } single && (children.Count == 0 || !string.IsNullOrWhiteSpace(single)))
        {
            if (children.Count > 0)
            {
                throw new InvalidOperationException($"{setting} is set both as one value ('{single}') and as a list ({setting}:0 ...); use one form.");
            }

            return [.. single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        var items = new List<(int Index, string Value)>();
        foreach (var child in children)
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new InvalidOperationException($"{setting}:{child.Key}: a list's items are numbered ({setting}:0, {setting}:1 ...).");
            }

            if (child.Value is null)
            {
                throw new InvalidOperationException($"{setting}:{child.Key}: a list item is a single value, not a section.");
            }

            items.Add((index, child.Value));
        }

        return [.. items.OrderBy(i => i.Index).Select(i => i.Value)];
    }

    /// <summary>Refuses the keys of <paramref name="section"/> that are not in <paramref name="known"/> (case-insensitive, as configuration keys are).</summary>
    public static void KnownKeys(IConfiguration configuration, string section, params string[] known)
    {
        var unknown = configuration.GetSection(section).GetChildren().Select(c => c.Key)
            .Where(key => !known.Contains(key, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"{section}: {string.Join(", ", unknown.Select(k => $"'{k}'"))} is not a setting the gateway knows; "
                + $"known here: {string.Join(", ", known)}.");
        }
    }
}
