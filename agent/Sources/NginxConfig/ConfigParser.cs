using System.IO.Enumeration;

namespace Fleet502.Agent.Sources.NginxConfig;

/// <summary>
/// Builds the directive tree of an <c>nginx -T</c> dump. -T prints every file once, in full, after the
/// main one; <c>include</c> stays in the text, so it is resolved here against the printed files
/// (globs sorted like nginx's, relative paths against the main file's directory).
/// </summary>
public static class ConfigParser
{
    private const int MaxIncludeDepth = 16;

    public static ParsedConfig Parse(string dump)
    {
        var files = ConfigTokenizer.SplitFiles(dump);
        var tokens = files.ToDictionary(f => f.Path, f => ConfigTokenizer.Tokenize(f.Text), StringComparer.Ordinal);
        if (files.Count == 0)
        {
            return new ParsedConfig([], []);
        }

        var main = files[0].Path;
        var prefix = Path.GetDirectoryName(main) ?? "/";
        var context = new Context(tokens, files.Select(f => f.Path).ToList(), prefix);
        var root = context.ParseFile(main, 0);
        return new ParsedConfig(root, files.Select(f => f.Path).ToList());
    }

    private sealed class Context(Dictionary<string, List<ConfigToken>> tokens, List<string> order, string prefix)
    {
        public List<ConfigDirective> ParseFile(string path, int depth)
        {
            var list = tokens[path];
            var at = 0;
            return ParseBlock(path, list, ref at, depth);
        }

        private List<ConfigDirective> ParseBlock(string file, List<ConfigToken> list, ref int at, int depth)
        {
            var directives = new List<ConfigDirective>();
            while (at < list.Count)
            {
                var token = list[at];
                if (token.Kind == ConfigTokenKind.BlockEnd)
                {
                    at++;
                    return directives;
                }

                if (token.Kind != ConfigTokenKind.Word)
                {
                    // Stray ';' or '{': skip it, as a tolerant reader of text nginx already accepted.
                    at++;
                    continue;
                }

                var name = token.Text;
                var line = token.Line;
                var args = new List<string>();
                for (at++; at < list.Count && list[at].Kind == ConfigTokenKind.Word; at++)
                {
                    args.Add(list[at].Text);
                }

                if (at >= list.Count)
                {
                    directives.Add(new ConfigDirective(name, args, file, line, null));
                    break;
                }

                if (list[at].Kind == ConfigTokenKind.BlockStart)
                {
                    at++;
                    var block = ParseBlock(file, list, ref at, depth);
                    directives.Add(new ConfigDirective(name, args, file, line, block));
                    continue;
                }

                at++;
                if (list[at - 1].Kind == ConfigTokenKind.Semicolon && name == "include" && args.Count == 1 && depth < MaxIncludeDepth)
                {
                    foreach (var included in Resolve(args[0]))
                    {
                        directives.AddRange(ParseFile(included, depth + 1));
                    }

                    continue;
                }

                directives.Add(new ConfigDirective(name, args, file, line, null));
            }

            return directives;
        }

        private IEnumerable<string> Resolve(string pattern)
        {
            var full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(prefix, pattern);
            if (full.IndexOfAny(['*', '?', '[']) < 0)
            {
                return tokens.ContainsKey(full) ? [full] : [];
            }

            return order.Where(p => FileSystemName.MatchesSimpleExpression(full, p, ignoreCase: false)
                    && !(Path.GetDirectoryName(p) ?? "").Contains('*', StringComparison.Ordinal))
                .Where(p => (Path.GetDirectoryName(p) ?? "") == (Path.GetDirectoryName(full) ?? "") || full[..full.LastIndexOf('/')].IndexOfAny(['*', '?']) >= 0)
                .Order(StringComparer.Ordinal);
        }
    }
}
