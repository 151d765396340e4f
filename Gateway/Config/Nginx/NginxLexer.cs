using System.Text;

namespace Gateway.Config.Nginx;

/// <summary>
/// Splits configuration text into words and punctuation the way nginx's <c>ngx_conf_read_token</c> does: a word
/// ends at white space, <c>;</c> or <c>{</c>; <c>#</c> starts a comment only where a word could start; quotes
/// ("..." or '...') may hold anything and must be followed by white space, <c>;</c> or <c>{</c>; <c>${name}</c> does
/// not open a block; a backslash keeps the next character in the word. When a word is taken, <c>\"</c>,
/// <c>\'</c> and <c>\\</c> lose their backslash and <c>\t \r \n</c> become the control characters; any other
/// backslash stays (so regexes keep <c>\.</c>).
/// </summary>
internal sealed class NginxLexer(string text, string file)
{
    private int _pos;
    private int _line = 1;

    /// <summary>Set after a closing quote: nginx wants white space, ';' or '{' next.</summary>
    private bool _needSpace;

    /// <summary>The line the lexer is on (after a '}' token: that brace's line).</summary>
    public int Line => _line;

    public NginxToken Next()
    {
        var lastSpace = true;
        var needSpace = _needSpace;
        _needSpace = false;
        var quoted = false;
        var sQuoted = false;
        var dQuoted = false;
        var comment = false;
        var variable = false;
        var start = 0;
        var startLine = _line;
        while (_pos < text.Length)
        {
            var ch = text[_pos++];
            if (ch == '\n')
            {
                _line++;
                if (comment)
                {
                    comment = false;
                }
            }

            if (comment)
            {
                continue;
            }

            if (quoted)
            {
                quoted = false;
                continue;
            }

            if (needSpace)
            {
                if (IsSpace(ch))
                {
                    // The quoted word before was complete; scan on for the next token.
                    lastSpace = true;
                    needSpace = false;
                    continue;
                }

                switch (ch)
                {
                    case ';':
                        return new NginxToken(NginxTokenKind.Semicolon, ";", _line);
                    case '{':
                        return new NginxToken(NginxTokenKind.OpenBrace, "{", _line);
                    case ')':
                        // if ($a = "b") : the ')' after a quote starts a word of its own, as in nginx.
                        lastSpace = true;
                        needSpace = false;
                        break;
                    default:
                        throw new NginxConfigException($"unexpected \"{ch}\"", file, _line);
                }
            }

            if (lastSpace)
            {
                start = _pos - 1;
                startLine = _line;
                if (IsSpace(ch))
                {
                    continue;
                }

                switch (ch)
                {
                    case ';':
                        return new NginxToken(NginxTokenKind.Semicolon, ";", _line);
                    case '{':
                        return new NginxToken(NginxTokenKind.OpenBrace, "{", _line);
                    case '}':
                        return new NginxToken(NginxTokenKind.CloseBrace, "}", _line);
                    case '#':
                        comment = true;
                        continue;
                    case '\\':
                        quoted = true;
                        lastSpace = false;
                        continue;
                    case '"':
                        start++;
                        dQuoted = true;
                        lastSpace = false;
                        continue;
                    case '\'':
                        start++;
                        sQuoted = true;
                        lastSpace = false;
                        continue;
                    case '$':
                        variable = true;
                        lastSpace = false;
                        continue;
                    default:
                        lastSpace = false;
                        continue;
                }
            }

            if (ch == '{' && variable)
            {
                continue;
            }

            variable = false;
            if (ch == '\\')
            {
                quoted = true;
                continue;
            }

            if (ch == '$')
            {
                variable = true;
                continue;
            }

            bool found;
            if (dQuoted)
            {
                found = ch == '"';
                if (found)
                {
                    dQuoted = false;
                }
            }
            else if (sQuoted)
            {
                found = ch == '\'';
                if (found)
                {
                    sQuoted = false;
                }
            }
            else
            {
                found = IsSpace(ch) || ch == ';' || ch == '{';
            }

            if (!found)
            {
                continue;
            }

            var word = Unescape(text.AsSpan(start, _pos - 1 - start));
            if (ch is ';' or '{')
            {
                _pos--; // the punctuation is the next token
            }
            else if (ch is '"' or '\'')
            {
                _needSpace = true;
            }

            return new NginxToken(NginxTokenKind.Word, word, startLine);
        }

        if (!lastSpace)
        {
            throw new NginxConfigException("unexpected end of file, expecting \";\" or \"}\"", file, _line);
        }

        return new NginxToken(NginxTokenKind.End, "", _line);
    }

    private static bool IsSpace(char ch) => ch is ' ' or '\t' or '\r' or '\n';

    private static string Unescape(ReadOnlySpan<char> raw)
    {
        if (!raw.Contains('\\'))
        {
            return raw.ToString();
        }

        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                switch (raw[i + 1])
                {
                    case '"' or '\'' or '\\':
                        sb.Append(raw[++i]);
                        continue;
                    case 't':
                        sb.Append('\t');
                        i++;
                        continue;
                    case 'r':
                        sb.Append('\r');
                        i++;
                        continue;
                    case 'n':
                        sb.Append('\n');
                        i++;
                        continue;
                }
            }

            sb.Append(raw[i]);
        }

        return sb.ToString();
    }
}
