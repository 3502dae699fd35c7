package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/teamspro/functions/functions"
	"github.com/teamspro/functions/internal/config"
	"github.com/teamspro/functions/internal/notify"
	"github.com/teamspro/functions/internal/outbox"
	"github.com/teamspro/functions/internal/sendgrid"
	"github.com/teamspro/functions/internal/servicebus"
	"github.com/teamspro/functions/internal/tables"
)

// notifications wires the notification path: a publisher (Service Bus, or the
// in-process queue that posts to the notify function exactly as the host
// would), the processor behind the notify trigger, and its mailer (SendGrid,
// or the local outbox folder).
type notifications struct {
	publisher notify.Publisher
	processor *notify.Processor
	marks     *tables.MarkStore
	server    *functions.Server // set once built: the in-process queue delivers to it
	close     func()
}

func newNotifications(cfg *config.Config, cred azcore.TokenCredential, store *tables.Client, log *slog.Logger) (*notifications, error) {
	n := &notifications{marks: tables.NewMarkStore(store), close: func() {}}

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
	n.processor, err = notify.NewProcessor(notify.ProcessorConfig{
		Mailer: mailer, Marks: n.marks, From: notify.Address{Name: from.Name, Email: from.Address},
		Invite: notify.Invite(domain, time.Now), Steps: lateSteps{n}, Clock: time.Now, Logger: log,
	})
	if err != nil {
		return nil, err
	}

	switch {
	case cfg.ServiceBusConnectionString != "":
		p, err := servicebus.NewFromConnectionString(cfg.ServiceBusConnectionString, cfg.NotificationQueue, nil)
		if err != nil {
			return nil, err
		}
		n.publisher, n.close = p, func() { _ = p.Close(context.Background()) }
	case cfg.ServiceBusNamespace != "":
		p, err := servicebus.New(cfg.ServiceBusNamespace, cred, cfg.NotificationQueue, nil)
		if err != nil {
			return nil, err
		}
		n.publisher, n.close = p, func() { _ = p.Close(context.Background()) }
	default:
		q, err := notify.NewQueue(func(ctx context.Context, d notify.Delivery) error {
			return n.server.DeliverLocally(ctx, "notify", d.Invocation("message"))
		}, notify.QueueOptions{Logger: log})
		if err != nil {
			return nil, err
		}
		n.publisher, n.close = q, func() { _ = q.Close() }
		log.Info("notifications use the in-process queue (no Service Bus configured)")
	}
	return n, nil
}

// lateSteps hands job steps to the server, which is built after the processor.
type lateSteps struct{ n *notifications }

func (l lateSteps) RunCalendarCopy(ctx context.Context, env notify.Envelope, step *notify.CalendarCopy) error {
	return l.n.server.RunCalendarCopy(ctx, env, step)
}
