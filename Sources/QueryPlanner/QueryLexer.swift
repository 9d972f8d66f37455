import Foundation

/// A position in the query text, 1-based, counted in characters.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A query that cannot be run, with where and why: what was expected, what was found, and
/// for unknown names or codes the nearest known one.
public struct QueryError: Error, Equatable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

struct Token: Equatable {
    enum Kind: Equatable {
        case word(String)  // identifier or keyword, as written
        case string(String)
        case number(Decimal, text: String)
        case symbol(String)  // ( ) , * ; = <> != < <= > >= -
        case end
    }

    let kind: Kind
    let location: SourceLocation

    var describedForError: String {
        switch kind {
        case .word(let w): "'\(w)'"
        case .string(let s): "the string '\(s)'"
        case .number(_, let text): "the number \(text)"
        case .symbol(let s): "'\(s)'"
        case .end: "the end of the query"
        }
    }

    func isKeyword(_ keyword: String) -> Bool {
        if case .word(let w) = kind { return w.uppercased() == keyword }
        return false
    }

    func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = kind { return s == symbol }
        return false
    }
}

/// Splits query text into tokens. Keywords are case-insensitive; strings use single quotes
/// with '' as an escaped quote; `--` starts a comment that runs to the end of the line.
enum QueryLexer {
    static func tokenize(_ text: String) throws(QueryError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        var line = 1
        var column = 1

        func advance() {
            if characters[index] == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }

        while index < characters.count {
            let character = characters[index]
            let location = SourceLocation(line: line, column: column)
            if character.isWhitespace {
                advance()
            } else if character == "-", index + 1 < characters.count, characters[index + 1] == "-" {
                while index < characters.count, characters[index] != "\n" { advance() }
            } else if character.isLetter || character == "_" {
                var word = ""
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" {
                    word.append(characters[index])
                    advance()
                }
                tokens.append(Token(kind: .word(word), location: location))
            } else if character.isNumber || (character == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
                var text = ""
                var seenPoint = false
                while index < characters.count, characters[index].isNumber || (characters[index] == "." && !seenPoint) {
                    if characters[index] == "." { seenPoint = true }
                    text.append(characters[index])
                    advance()
                }
                if index < characters.count, characters[index].isLetter {
                    throw QueryError(location, "malformed number '\(text)\(characters[index])'")
                }
                guard text.allSatisfy({ $0.isASCII }), let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                    throw QueryError(location, "malformed number '\(text)'")
                }
                tokens.append(Token(kind: .number(value, text: text), location: location))
            } else if character == "'" {
                advance()
                var value = ""
                var closed = false
                while index < characters.count {
                    if characters[index] == "'" {
                        if index + 1 < characters.count, characters[index + 1] == "'" {
                            value.append("'")
                            advance()
                            advance()
                            continue
                        }
                        advance()
                        closed = true
                        break
                    }
                    value.append(characters[index])
                    advance()
                }
                guard closed else {
                    throw QueryError(location, "string starting here is not closed; end it with ' (write '' for a quote inside it)")
                }
                tokens.append(Token(kind: .string(value), location: location))
            } else if character == "\"" {
                throw QueryError(location, "double quotes are not used in this dialect; write codes in single quotes ('MR') and attribute names bare")
            } else {
                let two = index + 1 < characters.count ? String([character, characters[index + 1]]) : ""
                if ["<>", "!=", "<=", ">="].contains(two) {
                    advance()
                    advance()
                    tokens.append(Token(kind: .symbol(two == "!=" ? "<>" : two), location: location))
                } else if "(),*;=<>-".contains(character) {
                    advance()
                    tokens.append(Token(kind: .symbol(String(character)), location: location))
                } else {
                    throw QueryError(location, "unexpected character '\(character)'")
                }
            }
        }
        tokens.append(Token(kind: .end, location: SourceLocation(line: line, column: column)))
        return tokens
    }
}
