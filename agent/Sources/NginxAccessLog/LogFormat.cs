using System.Text;

namespace Fleet502.Agent.Sources.NginxAccessLog;

/// <summary>
/// A compiled nginx <c>log_format</c>: literals and variables in order. Matching a line finds each
/// variable's value up to the next literal, so it allocates nothing per line. <c>$upstream_*</c> lists
/// (<c>"a, b : c"</c>) are kept whole across their separators; with <c>escape=json</c> an escaped
/// quote does not end a value.
/// </summary>
public sealed class LogFormat
{
    /// <summary>nginx's predefined format; it cannot be redefined.</summary>
    public const string Combined = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

    /// <summary>The distro/docker default <c>main</c>: combined plus X-Forwarded-For.</summary>
    public const string Main = Combined + " \"$http_x_forwarded_for\"";

    private readonly LogFormatSegment[] _segments;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    private LogFormat(string name, bool escapeJson, LogFormatSegment[] segments)
    {
        Name = name;
        EscapeJson = escapeJson;
        _segments = segments;
        var variables = new List<string>();
        foreach (var s in segments)
        {
            if (s.Variable is { } v)
            {
                _index.TryAdd(v, variables.Count);
                variables.Add(v);
            }
        }

        Variables = variables;
    }

    public string Name { get; }
    public bool EscapeJson { get; }
    public IReadOnlyList<string> Variables { get; }
    public IReadOnlyList<LogFormatSegment> Segments => _segments;

    /// <summary>Slot of a variable in the ranges <see cref="TryMatch"/> fills; -1 when the format lacks it.</summary>
    public int IndexOf(string variable) => _index.TryGetValue(variable, out var i) ? i : -1;

    /// <summary>
    /// Compiles <c>combined</c>, <c>main</c>, a bare format string, or a whole directive:
    /// <c>log_format name [escape=default|json|none] 'part' 'part';</c>.
    /// </summary>
    public static LogFormat Parse(string definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var text = definition.Trim();
        if (text is "combined" or "")
        {
            return Compile("combined", Combined, escapeJson: false);
        }

        if (text == "main")
        {
            return Compile("main", Main, escapeJson: false);
        }

        if (!text.StartsWith("log_format", StringComparison.Ordinal))
        {
            return Compile("custom", Unquote(text), escapeJson: false);
        }

        // log_format NAME [escape=...] 'a' "b" ...;  (nginx joins the quoted parts with nothing between)
        var rest = text["log_format".Length..].TrimEnd(';').Trim();
        var nameEnd = rest.IndexOfAny([' ', '\t', '\n']);
        var name = nameEnd < 0 ? rest : rest[..nameEnd];
        rest = nameEnd < 0 ? "" : rest[nameEnd..].Trim();
        var escapeJson = false;
        if (rest.StartsWith("escape=", StringComparison.Ordinal))
        {
            var end = rest.IndexOfAny([' ', '\t', '\n']);
            var escape = end < 0 ? rest["escape=".Length..] : rest["escape=".Length..end];
            escapeJson = escape == "json";
            rest = end < 0 ? "" : rest[end..].Trim();
        }

        return Compile(name, JoinQuotedParts(rest), escapeJson);
    }

    /// <summary>Compiles a format string (already unquoted).</summary>
    public static LogFormat Compile(string name, string format, bool escapeJson)
    {
        var segments = new List<LogFormatSegment>();
        var literal = new StringBuilder();
        for (var i = 0; i < format.Length;)
        {
            if (format[i] == '$' && i + 1 < format.Length && (IsNameChar(format[i + 1]) || format[i + 1] == '{'))
            {
                var braced = format[i + 1] == '{';
                var start = braced ? i + 2 : i + 1;
                var end = start;
                while (end < format.Length && IsNameChar(format[end]))
                {
                    end++;
                }

                if (literal.Length > 0 || (segments.Count > 0 && segments[^1].IsVariable))
                {
                    segments.Add(new LogFormatSegment(Encoding.UTF8.GetBytes(literal.ToString()), null));
                    literal.Clear();
                }

                segments.Add(new LogFormatSegment([], format[start..end]));
                i = braced && end < format.Length && format[end] == '}' ? end + 1 : end;
                continue;
            }

            literal.Append(format[i]);
            i++;
        }

        if (literal.Length > 0)
        {
            segments.Add(new LogFormatSegment(Encoding.UTF8.GetBytes(literal.ToString()), null));
        }

        return new LogFormat(name, escapeJson, [.. segments]);
    }

    /// <summary>
    /// Matches a whole line; <paramref name="values"/> (length ≥ <see cref="Variables"/>.Count) gets each
    /// variable's byte range. Returns false when the line does not have this format's shape.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<byte> line, Span<Range> values)
    {
        line = line.TrimEnd("\r\n"u8);
        var pos = 0;
        var slot = 0;
        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            if (!segment.IsVariable)
            {
                if (!line[pos..].StartsWith(segment.Literal))
                {
                    return false;
                }

                pos += segment.Literal.Length;
                continue;
            }

            var next = i + 1 < _segments.Length ? _segments[i + 1].Literal : [];
            int end;
            if (next.Length == 0)
            {
                // Last variable (or two variables back to back): runs to the end / to the next space.
                end = i + 1 < _segments.Length ? FindSpace(line, pos) : line.Length;
            }
            else
            {
                end = FindLiteral(line, pos, next, next[0] == (byte)' ' && IsList(segment.Variable!), EscapeJson && next[0] == (byte)'"');
                if (end < 0)
                {
                    return false;
                }
            }

            if (slot < values.Length)
            {
                values[slot] = new Range(pos, end);
            }

            // Repeated variables keep the first slot; the index maps the name to it.
            slot++;
            pos = end;
        }

        return pos == line.Length;
    }

    private static int FindLiteral(ReadOnlySpan<byte> line, int from, ReadOnlySpan<byte> literal, bool list, bool jsonQuoted)
    {
        var search = from;
        while (search <= line.Length)
        {
            var at = line[search..].IndexOf(literal);
            if (at < 0)
            {
                return -1;
            }

            var p = search + at;
            if (jsonQuoted && IsEscaped(line, from, p))
            {
                search = p + 1;
                continue;
            }

            // "$upstream_addr $upstream_status": a list value continues across ", " and " : ".
            if (list && literal[0] == (byte)' '
                && ((p > from && line[p - 1] == (byte)',') || line[p..].StartsWith(" : "u8) || (p - from >= 2 && line[(p - 2)..p].SequenceEqual(" :"u8))))
            {
                search = p + 1;
                continue;
            }

            return p;
        }

        return -1;
    }

    private static bool IsEscaped(ReadOnlySpan<byte> line, int from, int p)
    {
        var backslashes = 0;
        for (var i = p - 1; i >= from && line[i] == (byte)'\\'; i--)
        {
            backslashes++;
        }

        return (backslashes & 1) == 1;
    }

    private static int FindSpace(ReadOnlySpan<byte> line, int from)
    {
        var at = line[from..].IndexOf((byte)' ');
        return at < 0 ? line.Length : from + at;
    }

    private static bool IsList(string variable) => variable.StartsWith("upstream_", StringComparison.Ordinal);

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static string Unquote(string s) =>
        s.Length >= 2 && (s[0] == '\'' || s[0] == '"') && s[^1] == s[0] ? s[1..^1] : s;

    private static string JoinQuotedParts(string rest)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < rest.Length; i++)
        {
            var quote = rest[i];
            if (quote is not ('\'' or '"'))
            {
                continue;
            }

            for (i++; i < rest.Length && rest[i] != quote; i++)
            {
                // nginx config escapes: \' \" \\ inside a quoted part.
                if (rest[i] == '\\' && i + 1 < rest.Length && (rest[i + 1] == quote || rest[i + 1] == '\\'))
                {
                    i++;
                }

                sb.Append(rest[i]);
            }
        }

        return sb.Length == 0 ? Unquote(rest) : sb.ToString();
    }
}
