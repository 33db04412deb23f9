package tokenizer

import (
	"fmt"
	"strings"
)

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Template names.
const (
	TemplateChatML = "chatml"
	TemplateLlama2 = "llama2"
)

// ChatMLTemplate is the Jinja source of the ChatML template (Qwen2).
const ChatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// Llama2Template is the Jinja source of the Llama-2 chat template.
const Llama2Template = "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% set messages = messages[1:] %}{% else %}{% set system_message = '' %}{% endif %}{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + (system_message if loop.first else '') + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor %}"

// TemplateName picks the chat template family for this vocabulary: from
// markers in tokenizer.chat_template when present, otherwise ChatML for
// byte-level BPE vocabularies with <|im_start|> and Llama-2 for SPM ones.
func (t *Tokenizer) TemplateName() (string, error) {
	ct := t.v.ChatTemplate
	switch {
	case strings.Contains(ct, "<|im_start|>"):
		return TemplateChatML, nil
	case strings.Contains(ct, "[INST]"):
		return TemplateLlama2, nil
	case ct == "" && t.hasToken("<|im_start|>"):
		return TemplateChatML, nil
	case ct == "" && t.v.Model == ModelSPM:
		return TemplateLlama2, nil
	}
	return "", fmt.Errorf("%w: unrecognised tokenizer.chat_template", ErrNoTemplate)
}

// ApplyChat renders msgs with the vocabulary's template. With
// addAssistant, the text ends where the assistant's reply should begin. The
// result contains special-token texts: encode it with ParseSpecial and
// without AddBOS (the template writes BOS itself where needed).
func (t *Tokenizer) ApplyChat(msgs []Message, addAssistant bool) (string, error) {
	name, err := t.TemplateName()
	if err != nil {
		return "", err
	}
	if name == TemplateChatML {
		return ChatML(msgs, addAssistant), nil
	}
	return Llama2(msgs, t.TokenText(int(t.v.BOS)), t.TokenText(int(t.v.EOS))), nil
}

// ChatML renders msgs as <|im_start|>role\ncontent<|im_end|>\n turns.
func ChatML(msgs []Message, addAssistant bool) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content + "<|im_end|>\n")
	}
	if addAssistant {
		b.WriteString("<|im_start|>assistant\n")
	}
	return b.String()
}

// Llama2 renders msgs in the Llama-2 format:
// <s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nuser [/INST] reply </s><s>[INST] ...
func Llama2(msgs []Message, bos, eos string) string {
	var b strings.Builder
	sys := ""
	if len(msgs) > 0 && msgs[0].Role == "system" {
		sys = "<<SYS>>\n" + msgs[0].Content + "\n<</SYS>>\n\n"
		msgs = msgs[1:]
	}
	first := true
	for _, m := range msgs {
		switch m.Role {
		case "user":
			b.WriteString(bos + "[INST] ")
			if first {
				b.WriteString(sys)
			}
			b.WriteString(m.Content + " [/INST]")
			first = false
		case "assistant":
			b.WriteString(" " + m.Content + " " + eos)
		}
	}
	return b.String()
}

func (t *Tokenizer) hasToken(s string) bool {
	_, ok := t.index[s]
	return ok
}
