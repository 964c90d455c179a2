using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;
using Google.Protobuf.Reflection;

namespace Fleet502.Diagnosis;

/// <summary>
/// The snake_case names of proto enum values that the REST API, webhooks and docs print:
/// <c>CAUSE_BACKEND_DOWN</c> becomes <c>backend_down</c>. The prefix to strip is read from the
/// enum's zero value (<c>CAUSE_UNSPECIFIED</c>), so this works for every enum of the contract.
/// </summary>
public static class ProtoEnumName
{
    /// <summary>The snake_case name, or the number for a value this build does not know (a newer agent).</summary>
    public static string ToSnakeCase<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Names<TEnum>.ByValue.TryGetValue(value, out var name)
            ? name
            : Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses a snake_case name (case-insensitive); unknown names return false.</summary>
    public static bool TryParse<TEnum>(string? name, out TEnum value) where TEnum : struct, Enum =>
        Names<TEnum>.ByName.TryGetValue(name ?? "", out value);

    /// <summary>Every snake_case name of the enum, in declaration order.</summary>
    public static IReadOnlyList<string> All<TEnum>() where TEnum : struct, Enum => Names<TEnum>.InOrder;

    private static class Names<TEnum> where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> ByValue;
        public static readonly FrozenDictionary<string, TEnum> ByName;
        public static readonly IReadOnlyList<string> InOrder;

        static Names()
        {
            var values = Enum.GetValues<TEnum>();
            var prefix = OriginalName(default(TEnum)) is { } zero && zero.EndsWith("UNSPECIFIED", StringComparison.Ordinal)
                ? zero[..^"UNSPECIFIED".Length]
                : "";
            var pairs = values
                .Select(v => (Value: v, Name: Strip(OriginalName(v) ?? v.ToString(), prefix)))
                .ToList();
            ByValue = pairs.ToFrozenDictionary(p => p.Value, p => p.Name);
            ByName = pairs.ToFrozenDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);
            InOrder = pairs.Select(p => p.Name).ToArray();
        }

        private static string? OriginalName(TEnum value) =>
            typeof(TEnum).GetField(value.ToString(), BindingFlags.Public | BindingFlags.Static)
                ?.GetCustomAttribute<OriginalNameAttribute>()?.Name;

        private static string Strip(string name, string prefix) =>
            (name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name)
                .ToLowerInvariant();
    }
}
