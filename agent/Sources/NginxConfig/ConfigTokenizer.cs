using System.Text;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>
/// Splits <c>nginx -T</c> output into its files (the <c># configuration file /path:</c> markers) and each
/// file into tokens the way <c>ngx_conf_read_token</c> does: <c>#</c> comments, '…' and "…" with
/// backslash escapes, <c>${var}</c> kept inside a word, and <c>;</c> <c>{</c> <c>}</c> as tokens.
/// </summary>
public static class ConfigTokenizer
{
    private const string FileMarker = "# configuration file ";

    /// <summary>Files in the order -T printed them (the first is the main config). Text without markers is one file named "".</summary>
    public static List<(string Path, string Text)> SplitFiles(string dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var files = new List<(string, string)>();
        string? path = null;
        var body = new StringBuilder();
        foreach (var raw in dump.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(FileMarker, StringComparison.Ordinal) && line.EndsWith(':'))
            {
                // Text before the first marker is not config (a "syntax is ok" line merged from stderr).
                if (path is not null)
                {
                    files.Add((path, body.ToString()));
                }

                path = line[FileMarker.Length..^1];
                body.Clear();
                continue;
            }

            body.Append(line).Append('\n');
        }

        if (path is not null || body.ToString().Trim().Length > 0)
        {
            files.Add((path ?? "", body.ToString()));
        }

        return files;
    }

    public static List<ConfigToken> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<ConfigToken>();
        var word = new StringBuilder();
        var line = 1;
        var wordLine = 1;
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
            }

            if (!inWord)
            {
                if (char.IsWhiteSpace(c))
                {
                    continue;
                }

                switch (c)
                {
                    case '#':
                        while (i + 1 < text.Length && text[i + 1] != '\n')
                        {
                            i++;
                        }

                        continue;
                    case ';':
                        tokens.Add(new(ConfigTokenKind.Semicolon, ";", line));
                        continue;
                    case '{':
                        tokens.Add(new(ConfigTokenKind.BlockStart, "{", line));
                        continue;
                    case '}':
                        tokens.Add(new(ConfigTokenKind.BlockEnd, "}", line));
                        continue;
                    case '"' or '\'':
                        wordLine = line;
                        i = ReadQuoted(text, i, word, ref line);
                        tokens.Add(new(ConfigTokenKind.Word, word.ToString(), wordLine));
                        word.Clear();
                        continue;
                }

                inWord = true;
                wordLine = line;
            }

            if (char.IsWhiteSpace(c) || c == ';' || (c == '{' && !(word.Length > 0 && word[^1] == '$')) || (c == '}' && !HasOpenVariableBrace(word)))
            {
                tokens.Add(new(ConfigTokenKind.Word, word.ToString(), wordLine));
                word.Clear();
                inWord = false;
                i--;
                if (c == '\n')
                {
                    line--;
                }

                continue;
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                // Outside quotes nginx keeps an escape verbatim (regex locations need their backslashes).
                word.Append(c);
                word.Append(text[++i]);
                continue;
            }

            word.Append(c);
        }

        if (inWord)
        {
            tokens.Add(new(ConfigTokenKind.Word, word.ToString(), wordLine));
        }

        return tokens;
    }

    private static bool HasOpenVariableBrace(StringBuilder word)
    {
        for (var i = word.Length - 1; i > 0; i--)
        {
            if (word[i] == '}')
            {
                return false;
            }

            if (word[i] == '{' && word[i - 1] == '$')
            {
                return true;
            }
        }

        return false;
    }

    private static int ReadQuoted(string text, int i, StringBuilder word, ref int line)
    {
        var quote = text[i];
        for (i++; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                // nginx unescapes \" \' \\ \t \r \n inside quotes; other pairs stay as written.
                var next = text[i + 1];
                switch (next)
                {
                    case '"' or '\'' or '\\':
                        word.Append(next);
                        i++;
                        continue;
                    case 't':
                        word.Append('\t');
                        i++;
                        continue;
                    case 'r':
                        word.Append('\r');
                        i++;
                        continue;
                    case 'n':
                        word.Append('\n');
                        i++;
                        continue;
                }
            }

            if (c == quote)
            {
                return i;
            }

            word.Append(c);
        }

        return i;
    }
}
