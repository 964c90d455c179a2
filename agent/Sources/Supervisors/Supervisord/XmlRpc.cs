using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Fleet502.Agent.Sources.Supervisors.Supervisord;

/// <summary>
/// The small part of XML-RPC supervisord speaks, hand-written on System.Xml (no reflection, AOT-safe).
/// Values map to string, int, bool, double, <see cref="List{T}"/> of values and
/// <see cref="Dictionary{TKey,TValue}"/> of members.
/// </summary>
public static class XmlRpc
{
    public static string Request(string method, params object[] parameters)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>");
        xml.Append(SecurityElementEscape(method)).Append("</methodName><params>");
        foreach (var p in parameters)
        {
            xml.Append("<param><value>");
            xml.Append(p switch
            {
                bool b => $"<boolean>{(b ? 1 : 0)}</boolean>",
                int i => $"<int>{i.ToString(CultureInfo.InvariantCulture)}</int>",
                _ => $"<string>{SecurityElementEscape(Convert.ToString(p, CultureInfo.InvariantCulture) ?? "")}</string>",
            });
            xml.Append("</value></param>");
        }

        return xml.Append("</params></methodCall>").ToString();
    }

    /// <summary>The single return value of a methodResponse; throws <see cref="XmlRpcFaultException"/> for a fault.</summary>
    public static object? ParseResponse(string body)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Parse(body);
        }
        catch (XmlException e)
        {
            throw new FormatException("not an XML-RPC response: " + e.Message, e);
        }

        var root = doc.Root ?? throw new FormatException("empty XML-RPC response");
        if (root.Element("fault")?.Element("value") is { } fault)
        {
            var members = Value(fault) as Dictionary<string, object?>;
            var code = members?.GetValueOrDefault("faultCode") is int c ? c : 0;
            throw new XmlRpcFaultException(code, members?.GetValueOrDefault("faultString") as string ?? "fault");
        }

        var value = root.Element("params")?.Element("param")?.Element("value")
            ?? throw new FormatException("XML-RPC response without a value");
        return Value(value);
    }

    private static object? Value(XElement value)
    {
        var typed = value.Elements().FirstOrDefault();
        if (typed is null)
        {
            return value.Value; // a bare <value>text</value> is a string
        }

        return typed.Name.LocalName switch
        {
            "string" => typed.Value,
            "int" or "i4" or "i8" => long.TryParse(typed.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) && l is >= int.MinValue and <= int.MaxValue ? (int)l : (object)0,
            "boolean" => typed.Value.Trim() == "1",
            "double" => double.Parse(typed.Value.Trim(), CultureInfo.InvariantCulture),
            "nil" => null,
            "array" => typed.Element("data")?.Elements("value").Select(Value).ToList() ?? [],
            "struct" => typed.Elements("member").ToDictionary(
                m => m.Element("name")?.Value ?? "",
                m => m.Element("value") is { } v ? Value(v) : null,
                StringComparer.Ordinal),
            _ => typed.Value,
        };
    }

    private static string SecurityElementEscape(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
