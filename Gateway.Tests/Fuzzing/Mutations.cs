using CsCheck;

namespace Gateway.Tests.Fuzzing;

/// <summary>
/// Byte-level mutations of a seed corpus, the moves coverage-guided fuzzers make most (AFL's havoc stage): insert a
/// token, delete or duplicate a range, overwrite a byte. CsCheck shrinks a failing input toward the seed.
/// </summary>
public static class Mutations
{
    private static readonly string[] s_tokens =
    [
        "{", "}", "[", "]", ":", ",", "\"", "\\", ";", "#", "\n", "\r\n", " ", "\t", "\0", "null", "true", "-1", "0", "1e309", "-0",
        "99999999999999999999", "1.5", "\"\"", "\"x\"", "[]", "{}", "\"10.0.0.0/99\"", "\"::1\"", "/*", "*/", "//", "$", "${", "'", "\u00e9", "\ud83d\ude00",
        "\"Routes\"", "\"Clusters\"", "\"LbProxy\"", "\"ServerLimits\"", "\"TrustedProxies\"", "\"Destinations\"", "\"Fleet\"",
        "server", "location", "upstream", "http", "events", "proxy_pass", "listen", "include", "{ }", "if", "(", ")", "~", "=",
    ];

    /// <summary>One seed with 1 to 4 mutations applied.</summary>
    public static Gen<string> Of(IReadOnlyList<string> seeds) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Step.Array[1, 4]).Select((seed, steps) =>
        {
            var text = seeds[seed];
            foreach (var step in steps)
            {
                text = step.Apply(text);
            }

            return text;
        });

    private static readonly Gen<MutationStep> Step =
        Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.Double[0, 1], Gen.Int[0, s_tokens.Length - 1], Gen.Char[(char)0, (char)255])
            .Select((kind, at, length, token, ch) => new MutationStep(kind, at, length, s_tokens[token], ch));

    private sealed record MutationStep(int Kind, double At, double Length, string Token, char Char)
    {
        public string Apply(string text)
        {
            var at = (int)(At * text.Length);
            var length = Math.Min(text.Length - at, (int)(Length * 40));
            return Kind switch
            {
                0 => text.Insert(at, Token),
                1 => text.Remove(at, length),
                2 => text.Insert(at, text.Substring(at, length)),
                _ => at < text.Length ? string.Concat(text.AsSpan(0, at), Char.ToString(), text.AsSpan(at + 1)) : text + Char,
            };
        }
    }
}
