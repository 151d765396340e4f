namespace Gateway.Config.Nginx;

/// <summary>
/// Reads an nginx configuration into directives. <c>include</c> is resolved while reading, as nginx does:
/// relative paths are taken from the directory of the main file (nginx's conf prefix), a pattern with
/// <c>*</c>, <c>?</c> or <c>[</c> in its file name includes every match in name order (none is fine), and a
/// plain path that does not exist is an error.
/// </summary>
public static class NginxParser
{
    public static IReadOnlyList<NginxDirective> ParseFile(string path)
    {
        var full = Path.GetFullPath(path);
        return ParseFile(full, Path.GetDirectoryName(full)!, depth: 0, includedAt: null);
    }

    public static IReadOnlyList<NginxDirective> ParseText(string text, string file, string confPrefix) =>
        ParseBlock(new NginxLexer(text, file), file, confPrefix, inBlock: false, depth: 0);

    private static List<NginxDirective> ParseFile(string path, string confPrefix, int depth, NginxDirective? includedAt)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "2: No such file or directory" : ex.Message;
            var message = $"open() \"{path}\" failed ({reason})";
            throw includedAt is null ? new NginxConfigException(message) : NginxConfigException.At(includedAt, message);
        }

        return ParseBlock(new NginxLexer(text, path), path, confPrefix, inBlock: false, depth);
    }

    private static List<NginxDirective> ParseBlock(NginxLexer lexer, string file, string confPrefix, bool inBlock, int depth)
    {
        var directives = new List<NginxDirective>();
        var words = new List<string>();
        var line = 0;
        while (true)
        {
            var token = lexer.Next();
            switch (token.Kind)
            {
                case NginxTokenKind.Word:
                    if (words.Count == 0)
                    {
                        line = token.Line;
                    }

                    words.Add(token.Text);
                    break;
                case NginxTokenKind.Semicolon:
                    if (words.Count == 0)
                    {
                        throw new NginxConfigException("unexpected \";\"", file, token.Line);
                    }

                    var directive = new NginxDirective(words[0], words.Skip(1).ToArray(), null, file, line);
                    if (directive.Name == "include")
                    {
                        directives.AddRange(Include(directive, confPrefix, depth));
                    }
                    else
                    {
                        directives.Add(directive);
                    }

                    words.Clear();
                    break;
                case NginxTokenKind.OpenBrace:
                    if (words.Count == 0)
                    {
                        throw new NginxConfigException("unexpected \"{\"", file, token.Line);
                    }

                    var children = ParseBlock(lexer, file, confPrefix, inBlock: true, depth);
                    directives.Add(new NginxDirective(words[0], words.Skip(1).ToArray(), children, file, line) { EndLine = lexer.Line });
                    words.Clear();
                    break;
                case NginxTokenKind.CloseBrace:
                    if (words.Count > 0 || !inBlock)
                    {
                        throw new NginxConfigException("unexpected \"}\"", file, token.Line);
                    }

                    return directives;
                default:
                    if (words.Count > 0)
                    {
                        throw new NginxConfigException("unexpected end of file, expecting \";\" or \"}\"", file, token.Line);
                    }

                    if (inBlock)
                    {
                        throw new NginxConfigException("unexpected end of file, expecting \"}\"", file, token.Line);
                    }

                    return directives;
            }
        }
    }

    private static List<NginxDirective> Include(NginxDirective include, string confPrefix, int depth)
    {
        if (include.Args.Count != 1)
        {
            throw NginxConfigException.At(include, "invalid number of arguments in \"include\" directive");
        }

        if (depth > 32)
        {
            throw NginxConfigException.At(include, "too deeply nested includes (an include loop?)");
        }

        var pattern = Path.IsPathRooted(include.Args[0]) ? include.Args[0] : Path.Combine(confPrefix, include.Args[0]);
        var name = Path.GetFileName(pattern);
        if (name.IndexOfAny(['*', '?', '[']) < 0)
        {
            return ParseFile(pattern, confPrefix, depth + 1, include);
        }

        var directory = Path.GetDirectoryName(pattern)!;
        if (!Directory.Exists(directory))
        {
            return [];
        }

        // glob(3) as nginx calls it: matches sorted by name, dot files only when the pattern starts with a dot.
        return Directory.EnumerateFiles(directory)
            .Where(f => Glob.IsMatch(Path.GetFileName(f), name))
            .Order(StringComparer.Ordinal)
            .SelectMany(f => ParseFile(f, confPrefix, depth + 1, include))
            .ToList();
    }
}
