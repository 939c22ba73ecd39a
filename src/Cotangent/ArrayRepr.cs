// ArrayRepr: JAX's repr of a concrete array, `Array([1., 2.], dtype=float32)`, built on numpy's
// array2string with its default print options (precision 8, threshold 1000, edgeitems 3,
// linewidth 75, floatmode 'maxprec', sign '-', legacy False). A pure function of shape, dtype,
// weak type and the elements; it follows numpy/_core/arrayprint.py rule for rule:
// FloatingFormat/IntegerFormat/BoolFormat pick one width for every element, _formatArray
// nests brackets and wraps rows, and summarization shows edge items around "...".
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Cotangent;

internal static class ArrayRepr
{
    private const int LineWidth = 75;
    private const int Threshold = 1000;
    private const int EdgeItems = 3;
    private const int Precision = 8;
    private const string Prefix = "Array(";
    private const string Separator = ", ";

    /// <summary>JAX's <c>repr</c> of an array: <paramref name="item"/>(i) is element i (row-major)
    /// as a double, exact for every dtype.</summary>
    public static string Repr(int[] shape, DType dtype, bool weak, Func<int, double> item)
    {
        var dtypeStr = "dtype=" + NumpyName(dtype) + (weak ? ", weak_type=True)" : ")");
        var size = shape.Aggregate(1, (n, d) => n * d);
        var s = size == 0 ? $"[], shape={Core.Shape.pyTuple(shape)}" : Array2String(shape, dtype, item, size);
        // JAX's __repr__: the dtype follows on the last line, after a wider gap when that line is long
        var lastLineLen = s.Length - s.LastIndexOf('\n') + 1;
        var sep = lastLineLen + dtypeStr.Length + 1 > LineWidth ? new string(' ', Prefix.Length) : " ";
        return Prefix + s + "," + sep + dtypeStr;
    }

    /// <summary>numpy's dtype name, as <c>dtype.name</c> prints it.</summary>
    public static string NumpyName(DType dtype) => dtype switch
    {
        DType.Bool => "bool",
        DType.Int32 => "int32",
        DType.UInt32 => "uint32",
        DType.Float32 => "float32",
        _ => "float64",
    };

    // np.array2string(a, prefix="Array(", suffix=",", separator=", ", max_line_width=75)
    private static string Array2String(int[] shape, DType dtype, Func<int, double> item, int size)
    {
        var summarize = size > Threshold;
        var strides = Core.Shape.strides(shape);
        // the elements the format is fitted to: all of them, or the edge items when summarizing
        var shown = new List<double>();
        CollectShown(shape, strides, summarize, 0, 0, i => shown.Add(item(i)));
        Func<double, string> format = dtype switch
        {
            DType.Bool => BoolFormat(shape.Length == 0),
            DType.Int32 or DType.UInt32 => IntegerFormat(shown),
            _ => new FloatingFormat(shown, dtype == DType.Float32).Format,
        };
        var width = LineWidth - ",".Length;         // the suffix's width
        var nextLinePrefix = " " + new string(' ', Prefix.Length); // skip over "[" and the prefix
        return FormatArray(shape, strides, i => format(item(i)), width, nextLinePrefix, summarize);
    }

    private static void CollectShown(int[] shape, int[] strides, bool summarize, int axis, int offset, Action<int> visit)
    {
        if (axis == shape.Length)
        {
            visit(offset);
            return;
        }
        var n = shape[axis];
        foreach (var i in ShownIndices(n, summarize))
            CollectShown(shape, strides, summarize, axis + 1, offset + i * strides[axis], visit);
    }

    private static IEnumerable<int> ShownIndices(int n, bool summarize) =>
        summarize && n > 2 * EdgeItems
            ? Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(n - EdgeItems, EdgeItems))
            : Enumerable.Range(0, n);

    // numpy's _formatArray: nested brackets, rows wrapped at the line width, "..." when summarizing
    private static string FormatArray(int[] shape, int[] strides, Func<int, string> element, int lineWidth, string nextLinePrefix, bool summarize)
    {
        string Recurse(int axis, int offset, string hangingIndent, int currWidth)
        {
            var axesLeft = shape.Length - axis;
            if (axesLeft == 0) return element(offset);
            var nextHangingIndent = hangingIndent + " ";
            var nextWidth = currWidth - "]".Length;
            var aLen = shape[axis];
            var showSummary = summarize && 2 * EdgeItems < aLen;
            var leading = showSummary ? EdgeItems : 0;
            var trailing = showSummary ? EdgeItems : aLen;
            string Item(int i) => Recurse(axis + 1, offset + i * strides[axis], nextHangingIndent, nextWidth);
            var s = new StringBuilder();
            if (axesLeft == 1)
            {
                var elemWidth = currWidth - Math.Max(Separator.TrimEnd().Length, "]".Length);
                var line = hangingIndent;
                for (var i = 0; i < leading; i++)
                {
                    line = ExtendLine(s, line, Item(i), elemWidth, hangingIndent) + Separator;
                }
                if (showSummary) line = ExtendLine(s, line, "...", elemWidth, hangingIndent) + Separator;
                for (var i = trailing; i > 1; i--)
                {
                    line = ExtendLine(s, line, Item(aLen - i), elemWidth, hangingIndent) + Separator;
                }
                line = ExtendLine(s, line, Item(aLen - 1), elemWidth, hangingIndent);
                s.Append(line);
            }
            else
            {
                var lineSep = Separator.TrimEnd() + new string('\n', axesLeft - 1);
                for (var i = 0; i < leading; i++) s.Append(hangingIndent).Append(Item(i)).Append(lineSep);
                if (showSummary) s.Append(hangingIndent).Append("...").Append(lineSep);
                for (var i = trailing; i > 1; i--) s.Append(hangingIndent).Append(Item(aLen - i)).Append(lineSep);
                s.Append(hangingIndent).Append(Item(aLen - 1));
            }
            // remove the hanging indent and wrap in brackets
            return "[" + s.ToString(hangingIndent.Length, s.Length - hangingIndent.Length) + "]";
        }

        return Recurse(0, 0, nextLinePrefix, lineWidth);
    }

    // numpy's _extendLine: wrap before `word` when it would pass the width (unless the line is empty)
    private static string ExtendLine(StringBuilder s, string line, string word, int lineWidth, string nextLinePrefix)
    {
        var needsWrap = line.Length + word.Length > lineWidth && line.Length > nextLinePrefix.Length;
        if (needsWrap)
        {
            s.Append(line.TrimEnd()).Append('\n');
            line = nextLinePrefix;
        }
        return line + word;
    }

    // numpy's BoolFormat: " True" aligns with "False", except in 0-d arrays
    private static Func<double, string> BoolFormat(bool scalar)
    {
        var trueStr = scalar ? "True" : " True";
        return x => x != 0.0 ? trueStr : "False";
    }

    // numpy's IntegerFormat: right-aligned to the widest of max and min
    private static Func<double, string> IntegerFormat(List<double> data)
    {
        var width = data.Count == 0 ? 0 : Math.Max(IntText(data.Max()).Length, IntText(data.Min()).Length);
        return x => IntText(x).PadLeft(width);
    }

    private static string IntText(double x) => ((long)x).ToString(CultureInfo.InvariantCulture);

    /// <summary>numpy's FloatingFormat in 'maxprec' mode: each value's shortest round-trip digits
    /// (float32's for a float32 array), rounded to at most 8 digits after the point (positional)
    /// or after the first digit (scientific, chosen when a magnitude is at least 1e8 or below
    /// 1e-4, or the largest over the smallest exceeds 1000), padded so that every element has
    /// one width: positional pads the fraction with spaces, scientific with zeros.</summary>
    internal sealed class FloatingFormat
    {
        private readonly bool _f32;
        private readonly bool _exp;
        private readonly int _precision;
        private readonly int _minDigits;
        private readonly int _padLeft;
        private readonly int _padRight;
        private readonly int _expSize;

        public FloatingFormat(IReadOnlyList<double> data, bool f32)
        {
            _f32 = f32;
            var finite = data.Where(double.IsFinite).ToList();
            var absNonZero = finite.Where(v => v != 0.0).Select(Math.Abs).ToList();
            if (absNonZero.Count != 0)
            {
                var max = absNonZero.Max();
                var min = absNonZero.Min();
                // the ratio is computed in the array's dtype, as numpy does
                var ratio = f32 ? (double)((float)max / (float)min) : max / min;
                _exp = max >= 1e8 || min < 0.0001 || ratio > 1000.0;
            }
            _precision = Precision;
            if (finite.Count == 0)
            {
                _padLeft = 0;
                _padRight = 0;
                _expSize = -1;
            }
            else if (_exp)
            {
                var strs = finite.Select(v => Scientific(v, Precision, 0, padLeft: 0, expDigits: -1)).ToList();
                var mantissas = strs.Select(s => s[..s.IndexOf('e')]).ToList();
                _expSize = strs.Max(s => s.Length - s.IndexOf('e') - 1) - 1;
                _precision = mantissas.Max(m => m.Length - m.IndexOf('.') - 1);
                _minDigits = _precision;
                _padLeft = mantissas.Max(m => m.IndexOf('.'));
                _padRight = _expSize + 2 + _precision;
            }
            else
            {
                var strs = finite.Select(v => Positional(v, Precision, 0, 0, 0)).ToList();
                _padLeft = strs.Max(s => s.IndexOf('.'));
                _padRight = strs.Max(s => s.Length - s.IndexOf('.') - 1);
                _expSize = -1;
                _minDigits = 0;
            }
            if (finite.Count != data.Count)
            {
                // make room for "nan", "inf" and "-inf"
                var negInf = data.Any(v => double.IsNegativeInfinity(v)) ? 1 : 0;
                var offset = _padRight + 1;
                _padLeft = Math.Max(_padLeft, Math.Max(3 - offset, 3 + negInf - offset));
            }
        }

        public string Format(double x)
        {
            if (!double.IsFinite(x))
            {
                var ret = double.IsNaN(x) ? "nan" : x < 0 ? "-inf" : "inf";
                return new string(' ', Math.Max(0, _padLeft + _padRight + 1 - ret.Length)) + ret;
            }
            return _exp ? Scientific(x, _precision, _minDigits, _padLeft, _expSize) : Positional(x, _precision, _minDigits, _padLeft, _padRight);
        }

        // dragon4_positional(x, precision, min_digits, unique=True, fractional=True, trim='.',
        // pad_left, pad_right)
        private string Positional(double x, int precision, int minDigits, int padLeft, int padRight)
        {
            var (neg, digits, point) = Decimal(x);
            if (digits.Length - point > precision) (digits, point) = RoundExact(x, precision);
            var intPart = point <= 0 ? "0" : digits.Length >= point ? digits[..point] : digits + new string('0', point - digits.Length);
            var frac = point >= digits.Length ? "" : point < 0 ? new string('0', -point) + digits : digits[point..];
            if (frac.Length < minDigits) frac += new string('0', minDigits - frac.Length);
            var left = (neg ? "-" : "") + intPart;
            return left.PadLeft(padLeft) + "." + frac.PadRight(padRight);
        }

        // dragon4_scientific(x, precision, min_digits, unique=True, trim, pad_left, exp_digits)
        private string Scientific(double x, int precision, int minDigits, int padLeft, int expDigits)
        {
            var (neg, digits, point) = Decimal(x);
            if (digits.Length == 0)
            {
                digits = "0";
                point = 1;
            }
            else if (digits.Length - 1 > precision || digits.Length - 1 < minDigits)
            {
                // past the shortest digits, min_digits prints more of the exact value (rounded)
                (digits, point) = RoundExact(x, 0, significant: Math.Max(precision, minDigits) + 1);
            }
            var exp = point - 1;
            var frac = digits[1..];
            if (frac.Length < minDigits) frac += new string('0', minDigits - frac.Length);
            var expText = Math.Abs(exp).ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(2, expDigits), '0');
            var left = (neg ? "-" : "") + digits[0];
            return left.PadLeft(padLeft) + "." + frac + "e" + (exp < 0 ? "-" : "+") + expText;
        }

        /// <summary>The shortest round-trip decimal digits of <paramref name="x"/> (in float32 when
        /// the array is float32): the sign, digits without leading or trailing zeros (empty for zero)
        /// and the position of the decimal point, so that |x| = 0.digits × 10^point.</summary>
        private (bool Neg, string Digits, int Point) Decimal(double x)
        {
            var neg = double.IsNegative(x);
            var text = _f32
                ? Math.Abs((float)x).ToString("R", CultureInfo.InvariantCulture)
                : Math.Abs(x).ToString("R", CultureInfo.InvariantCulture);
            var (digits, point) = Parse(text);
            return (neg, digits, point);
        }

        /// <summary>Exact rounding (half to even) of |x| to the given number of digits after the
        /// decimal point, or, with <paramref name="significant"/>, to that many significant digits.</summary>
        private static (string Digits, int Point) RoundExact(double x, int fractionDigits, int significant = 0)
        {
            var (digits, point) = ExactDecimal(Math.Abs(x));
            var keep = significant > 0 ? significant : point + fractionDigits;
            return RoundDigits(digits, point, keep);
        }

        internal static (string Digits, int Point) RoundDigits(string digits, int point, int keep)
        {
            if (keep >= digits.Length) return (digits, point);
            if (keep < 0) return ("", 0);
            // a leading zero makes room for a carry and for keep = 0
            digits = "0" + digits;
            point += 1;
            keep += 1;
            var kept = digits[..keep].ToCharArray();
            var rest = digits[keep..];
            bool up = rest[0] > '5' || (rest[0] == '5' && (rest.Skip(1).Any(c => c != '0') || (kept[^1] - '0') % 2 == 1));
            if (up)
            {
                var i = kept.Length - 1;
                while (kept[i] == '9')
                {
                    kept[i] = '0';
                    i--;
                }
                kept[i]++;
            }
            var result = new string(kept);
            var lead = result.Length - result.TrimStart('0').Length;
            result = result.Trim('0');
            return result.Length == 0 ? ("", 0) : (result, point - lead);
        }

        /// <summary>The exact decimal expansion of a finite non-negative double.</summary>
        internal static (string Digits, int Point) ExactDecimal(double x)
        {
            if (x == 0.0) return ("", 0);
            var bits = BitConverter.DoubleToInt64Bits(x);
            var exponent = (int)((bits >> 52) & 0x7FF);
            var mantissa = bits & 0xFFFFFFFFFFFFFL;
            if (exponent == 0) exponent = 1; else mantissa |= 1L << 52;
            var e = exponent - 1075;
            BigInteger n = mantissa;
            int point;
            string digits;
            if (e >= 0)
            {
                digits = (n << e).ToString(CultureInfo.InvariantCulture);
                point = digits.Length;
            }
            else
            {
                digits = (n * BigInteger.Pow(5, -e)).ToString(CultureInfo.InvariantCulture);
                point = digits.Length + e;
            }
            var trimmed = digits.TrimEnd('0');
            return (trimmed, point);
        }

        /// <summary>Digits and point position of .NET's round-trip text (<c>123.45</c>, <c>1.5E-05</c>).</summary>
        internal static (string Digits, int Point) Parse(string text)
        {
            var exp10 = 0;
            var e = text.IndexOfAny(['E', 'e']);
            if (e >= 0)
            {
                exp10 = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
                text = text[..e];
            }
            var dot = text.IndexOf('.');
            var intPart = dot < 0 ? text : text[..dot];
            var fracPart = dot < 0 ? "" : text[(dot + 1)..];
            var all = intPart + fracPart;
            var lead = all.Length - all.TrimStart('0').Length;
            var digits = all.Trim('0');
            return digits.Length == 0 ? ("", 0) : (digits, intPart.Length + exp10 - lead);
        }
    }
}
