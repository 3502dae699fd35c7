package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/teamspro/functions/internal/config"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/outbox"
	"github.com/teamspro/functions/internal/sendgrid"
	"github.com/teamspro/functions/internal/servicebus"
	"github.com/teamspro/functions/internal/tables"
)

// publisher is where notifications are queued: Service Bus, or the
// in-process queue (local), which holds its messages until its consumer, the
// server's notify function, is built and starts taking them.
type publisher struct {
	notify.Publisher
	local *notify.Queue // the in-process queue; nil with Service Bus
	close func()
}

func newPublisher(cfg *config.Config, cred azcore.TokenCredential, log *slog.Logger) (*publisher, error) {
	switch {
	case cfg.ServiceBusConnectionString != "":
		p, err := servicebus.NewFromConnectionString(cfg.ServiceBusConnectionString, cfg.NotificationQueue, nil)
		if err != nil {
			return nil, err
		}
		return &publisher{Publisher: p, close: func() { _ = p.Close(context.Background()) }}, nil
	case cfg.ServiceBusNamespace != "":
		p, err := servicebus.New(cfg.ServiceBusNamespace, cred, cfg.NotificationQueue, nil)
		if err != nil {
			return nil, err
		}
		return &publisher{Publisher: p, close: func() { _ = p.Close(context.Background()) }}, nil
	}
	q, err := notify.OpenQueue(notify.QueueOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	log.Info("notifications use the in-process queue (no Service Bus configured)")
	return &publisher{Publisher: q, local: q, close: func() { _ = q.Close() }}, nil
}

// newProcessor is the processor behind the notify trigger: it mails through
// SendGrid, or into the local outbox folder, and hands job steps to steps.
func newProcessor(cfg *config.Config, marks *tables.MarkStore, steps notify.StepRunner, log *slog.Logger) (*notify.Processor, error) {
	var mailer notify.Mailer
	if cfg.SendGridAPIKey != "" {
		if strings.HasPrefix(cfg.SendGridAPIKey, "@Microsoft.KeyVault(") {
			return nil, fmt.Errorf("SENDGRID_API_KEY is an unresolved Key Vault reference: check the identity's access to the vault")
		}
		m, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridBaseURL})
		if err != nil {
			return nil, err
		}
		mailer = m
	} else {
		m, err := outbox.New(cfg.MailOutboxDir, time.Now)
		if err != nil {
			return nil, err
		}
		mailer = m
		log.Info("mail goes to the local outbox", "dir", cfg.MailOutboxDir)
	}
	from, err := mail.ParseAddress(cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM: %w", err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return notify.NewProcessor(notify.ProcessorConfig{
		Mailer: mailer, Marks: marks, From: notify.Address{Name: from.Name, Email: from.Address},
		Invite: notify.Invite(domain, time.Now), Steps: steps, Clock: time.Now, Logger: log,
	})
}
