using System.Text;

namespace HiStream.Gateway.Jobs;

/// <summary>A line of a manifest, or the sign that it was longer than the reader's bound (its text is then not kept).</summary>
public readonly record struct BoundedLine(string Text, bool TooLong);

/// <summary>Reads lines like <see cref="TextReader.ReadLineAsync()"/> (ended by \n, \r or \r\n) but never holds more than
/// <c>maxChars</c> of one line: a longer line is reported as too long instead of being built.</summary>
public sealed class BoundedLineReader(TextReader reader, int maxChars)
{
    private readonly char[] _buffer = new char[8192];
    private int _start, _end;
    private bool _skipLineFeed;

    /// <summary>The next line, or null at the end.</summary>
    public async ValueTask<BoundedLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        bool any = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                if (_end == 0) return any ? new BoundedLine(line.ToString(), false) : null;
            }
            if (_skipLineFeed)
            {
                _skipLineFeed = false;
                if (_buffer[_start] == '\n')
                {
                    _start++;
                    continue;
                }
            }
            int end = _buffer.AsSpan(_start, _end - _start).IndexOfAny('\r', '\n');
            int take = end < 0 ? _end - _start : end;
            if (line.Length + take > maxChars) return new BoundedLine("", true);
            line.Append(_buffer, _start, take);
            any |= take > 0;
            if (end < 0)
            {
                _start = _end;
                continue;
            }
            _skipLineFeed = _buffer[_start + end] == '\r';
            _start += end + 1;
            return new BoundedLine(line.ToString(), false);
        }
    }
}
