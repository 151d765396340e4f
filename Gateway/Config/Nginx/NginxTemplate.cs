using System.Text;

namespace Gateway.Config.Nginx;

/// <summary>
/// A value with nginx variables (<c>$name</c>, <c>${name}</c>, <c>$1</c>), compiled once and evaluated per request.
/// A name is letters, digits and underscores; <c>$1</c>..<c>$9</c> are regex captures.
/// </summary>
public sealed class NginxTemplate
{
    private readonly (string Text, bool IsVariable)[] _parts;

    private NginxTemplate((string, bool)[] parts, string source)
    {
        _parts = parts;
        Source = source;
    }

    public string Source { get; }

    public bool HasVariables => _parts.Any(p => p.IsVariable);

    public IEnumerable<string> Variables => _parts.Where(p => p.IsVariable).Select(p => p.Text);

    /// <summary>Compiles <paramref name="text"/>; throws with nginx's wording on a bad variable reference.</summary>
    public static NginxTemplate Parse(string text, NginxDirective at)
    {
        var parts = new List<(string, bool)>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$')
            {
                literal.Append(text[i]);
                continue;
            }

            string name;
            if (i + 1 < text.Length && text[i + 1] == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    throw NginxConfigException.At(at, $"the closing bracket in \"{text[(i + 2)..]}\" variable is missing");
                }

                name = text[(i + 2)..close];
                i = close;
            }
            else
            {
                var end = i + 1;
                if (end < text.Length && char.IsAsciiDigit(text[end]))
                {
                    end++; // $1..$9: one digit
                }
                else
                {
                    while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
                    {
                        end++;
                    }
                }

                name = text[(i + 1)..end];
                i = end - 1;
            }

            if (name.Length == 0)
            {
                throw NginxConfigException.At(at, $"invalid variable name in \"{text}\"");
            }

            if (literal.Length > 0)
            {
                parts.Add((literal.ToString(), false));
                literal.Clear();
            }

            parts.Add((name.ToLowerInvariant(), true));
        }

        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), false));
        }

        return new NginxTemplate([.. parts], text);
    }

    public string Evaluate(NginxRequestState request) => Evaluate(request, null);

    /// <summary>Evaluates with <paramref name="escape"/> applied to each variable's value (access logs).</summary>
    public string Evaluate(NginxRequestState request, Func<string, string>? escape)
    {
        if (_parts.Length == 1 && !_parts[0].IsVariable)
        {
            return _parts[0].Text;
        }

        var sb = new StringBuilder();
        foreach (var (text, isVariable) in _parts)
        {
            sb.Append(!isVariable ? text : escape is null ? NginxVariables.Get(text, request) : escape(NginxVariables.Get(text, request)));
        }

        return sb.ToString();
    }

    /// <summary>
    /// The value as a response header's bytes, one char a byte (Kestrel writes response headers as Latin-1): what nginx
    /// writes. The file's text and the request's values are UTF-8 there, so each goes out as its UTF-8 bytes;
    /// <c>$upstream_http_*</c> and <c>$sent_http_*</c> are already response header bytes and go out as they are.
    /// </summary>
    public string EvaluateAsHeaderBytes(NginxRequestState request)
    {
        var value = Evaluate(request);
        if (System.Text.Ascii.IsValid(value))
        {
            return value;
        }

        var sb = new StringBuilder();
        foreach (var (text, isVariable) in _parts)
        {
            var part = isVariable ? NginxVariables.Get(text, request) : text;
            sb.Append(isVariable && NginxVariables.IsResponseHeader(text)
                ? part
                : Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(part)));
        }

        return sb.ToString();
    }

    public override string ToString() => Source;
}
